import { InputError } from '@backstage/errors';
import { z } from 'zod';

/** Validates a query or body with a zod schema; a 400 lists every problem with its field. */
export function parse<T>(
  schema: z.ZodType<T, any, any>,
  value: unknown,
  what: 'query' | 'body' = 'query',
): T {
  let result: z.SafeParseReturnType<unknown, T>;
  try {
    result = schema.safeParse(value);
  } catch (error) {
    // Coercion throws on objects that have no primitive value, such as Express's parse of
    // `?limit[toString]=1`; name the nested fields instead of failing with a 500.
    const nested =
      typeof value === 'object' && value !== null
        ? Object.entries(value)
            .filter(([, v]) => typeof v === 'object' && v !== null)
            .map(([k]) => k.slice(0, 40))
        : [];
    throw new InputError(
      `${nested.join(', ') || what}: cannot be read (${
        error instanceof Error ? error.message : String(error)
      }); send plain text values`,
    );
  }
  if (!result.success)
    throw new InputError(
      result.error.issues
        .map(i => `${i.path.join('.') || what}: ${i.message}`)
        .join('; '),
    );
  return result.data;
}

/** A query's page size, `limit`: a whole number from 1 to 100, default 20. */
export const pageLimit = z.coerce
  .number({ invalid_type_error: 'limit must be a number' })
  .int('limit must be a whole number')
  .min(1, 'limit must be at least 1')
  .max(100, 'limit must be at most 100')
  .default(20);
