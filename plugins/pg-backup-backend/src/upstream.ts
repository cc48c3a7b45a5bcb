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

/** A stack frame as Node.js prints it: `at fn (file:line:col)` or `at file:line:col`. */
const STACK_FRAME =
  /^\s*at (?:(?:async |new )?\S+(?: \[as \S+\])? \((?:.*:\d+:\d+|<anonymous>|native)\)|\S+:\d+:\d+)\s*$/;

/** Whether a line of an error message or a log is a stack frame. */
export function isStackFrame(line: string): boolean {
  return STACK_FRAME.test(line);
}

/** Text without the stack frames a library may have put into an error message or a log. */
export function withoutStackFrames(text: string): string {
  return text
    .split('\n')
    .filter(line => !isStackFrame(line))
    .join('\n');
}

/**
 * The message of any thrown value, as operations and logs show it: never a stack trace, even
 * where a library put one into the message.
 */
export function reasonOf(error: unknown): string {
  return withoutStackFrames(
    error instanceof Error ? error.message : String(error),
  );
}
