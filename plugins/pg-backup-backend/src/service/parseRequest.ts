import { InputError } from '@backstage/errors';
import { z } from 'zod';

/** Validates a query or body with a zod schema; a 400 lists every problem with its field. */
export function parse<T>(
  schema: z.ZodType<T, any, any>,
  value: unknown,
  what: 'query' | 'body' = 'query',
): T {
  const result = schema.safeParse(value);
  if (!result.success)
    throw new InputError(
      result.error.issues
        .map(i => `${i.path.join('.') || what}: ${i.message}`)
        .join('; '),
    );
  return result.data;
}
