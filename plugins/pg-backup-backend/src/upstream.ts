import { CustomErrorBase } from '@backstage/errors';

/** A failed call to Kubernetes or S3, with a message safe to show (no credentials). */
export class UpstreamError extends CustomErrorBase {
  name = 'UpstreamError' as const;

  constructor(message: string, readonly status?: number) {
    super(message);
  }
}

/** Rejects with an UpstreamError when `promise` takes longer than `timeoutMs`. */
export function withTimeout<T>(
  what: string,
  timeoutMs: number,
  promise: Promise<T>,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new UpstreamError(`${what} timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Runs a read; a failure becomes an unknown fact with the reason instead of an exception. */
export async function readFact<T>(
  read: () => Promise<T>,
): Promise<{ known: true; value: T } | { known: false; reason: string }> {
  try {
    return { known: true, value: await read() };
  } catch (error) {
    return { known: false, reason: reasonOf(error) };
  }
}

/** Runs a read; an UpstreamError with status 404 becomes undefined. */
export async function undefinedIfMissing<T>(
  read: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof UpstreamError && error.status === 404)
      return undefined;
    throw error;
  }
}

/** The message of any thrown value. */
export function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
