import { S3Client } from '@aws-sdk/client-s3';
import { UpstreamError, reasonOf, withTimeout } from '../upstream';
import { MissingS3CredentialsError } from './S3Connection';

/** Counts S3 requests, so tests and the benchmark can state the calls per refresh. */
export interface S3CallCounter {
  /** Requests sent so far. */
  calls: number;
}

/** An object's body, as the S3 client returns it. */
export type S3Body = { transformToString(): Promise<string> };

/**
 * Sends S3 requests within a timeout, counting them, and turns every failure into an
 * `UpstreamError` that names the request (`get s3://bucket/key`) and never a credential.
 */
export class S3Requests {
  readonly counter: S3CallCounter = { calls: 0 };

  constructor(
    private readonly client: S3Client,
    private readonly timeoutMs: number,
  ) {}

  async send<T>(what: string, command: any): Promise<T> {
    this.counter.calls++;
    // A call that outlived its timeout is aborted, not left holding one of the client's
    // sockets: an endpoint that never answers would otherwise use up the connection pool, and
    // every later call would time out long after the endpoint recovered.
    const abort = new AbortController();
    try {
      return await withTimeout(
        `S3 ${what}`,
        this.timeoutMs,
        this.client.send(command, { abortSignal: abort.signal }) as Promise<T>,
      );
    } catch (error) {
      abort.abort();
      throw describeS3Error(what, error);
    }
  }

  /**
   * An object's body as text, within the call timeout. The body arrives after the answer's
   * headers, so it fails on its own (a connection cut, a checksum mismatch): the error names
   * the object, like every S3 failure.
   */
  async readText(what: string, object: { Body?: S3Body }): Promise<string> {
    try {
      return await withTimeout(
        `S3 ${what}`,
        this.timeoutMs,
        object.Body?.transformToString() ?? Promise.resolve(''),
      );
    } catch (error) {
      // The body's socket is given back, not left open behind a timed-out read.
      (object.Body as { destroy?: () => void } | undefined)?.destroy?.();
      if (error instanceof UpstreamError) throw error;
      throw new UpstreamError(
        `S3 ${what} failed while reading the object: ${reasonOf(error)}`,
      );
    }
  }
}

/** A handler for a read whose absence (an S3 error `code`) means `value`. */
export function absentAs<T>(code: string, value: T) {
  return (error: unknown): T => {
    if (error instanceof UpstreamError && error.message.includes(code))
      return value;
    throw error;
  };
}

function describeS3Error(what: string, error: unknown): UpstreamError {
  if (error instanceof UpstreamError) return error;
  if (error instanceof MissingS3CredentialsError)
    return new UpstreamError(`S3 ${what} failed: ${error.message}`);
  const e = error as {
    name?: string;
    message?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const status = e.$metadata?.httpStatusCode;
  if (status) {
    const hint =
      status === 403
        ? ' (access denied: check the portal credentials and the bucket policy)'
        : '';
    return new UpstreamError(
      `S3 ${what} failed with HTTP ${status} ${e.name ?? ''}${hint}`.trim(),
      status,
    );
  }
  return new UpstreamError(
    `S3 unreachable: ${what} failed (${e.code ?? e.name ?? reasonOf(error)})`,
  );
}
