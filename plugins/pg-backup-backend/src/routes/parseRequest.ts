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
  } catch {
    // Coercion throws on objects that have no primitive value, such as Express's parse of
    // `?limit[toString]=1`; name the nested fields instead of failing with a 500.
    const nested =
      typeof value === 'object' && value !== null
        ? Object.entries(value)
            .filter(([, v]) => typeof v === 'object' && v !== null)
            .map(([k]) => k.slice(0, 40))
        : [];
    const field = nested[0] ?? what;
    throw new InputError(
      what === 'query'
        ? `${field}: expected a plain value, as in ?${field}=20; a nested parameter such as ${field}[key]=value is not accepted`
        : `${field}: expected a plain value, not an object`,
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
