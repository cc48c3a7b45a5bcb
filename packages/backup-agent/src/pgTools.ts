import type { Readable } from 'node:stream';
import { spawn } from 'node:child_process';
import { failed } from './AgentError';

/** The outcome of a PostgreSQL client program. */
export interface PgToolResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The last few KiB of its stderr. */
  stderrTail: string;
}

/** Keeps the last `limit` bytes written to it, for error messages. */
export class OutputTail {
  #text = '';
  constructor(private readonly limit = 4096) {}
  push(chunk: Buffer | string): void {
    this.#text += chunk.toString();
    if (this.#text.length > this.limit * 2) {
      this.#text = this.#text.slice(-this.limit);
    }
  }
  toString(): string {
    return this.#text.slice(-this.limit).trim();
  }
  /** The last `error:` line (else the last line), for one-line messages. */
  lastLine(): string {
    return errorLine(this.toString());
  }
}

/** The last line of a program's stderr that says `error:`, else its last non-empty line. */
export function errorLine(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map(l => l.trim())
    .filter(Boolean);
  const errors = lines.filter(l => /\berror:/i.test(l));
  return errors[errors.length - 1] ?? lines[lines.length - 1] ?? '';
}

/** Describes how a program ended: `exit code 1` or `signal SIGTERM`. */
export function describeExit(
  result: Pick<PgToolResult, 'exitCode' | 'signal'>,
) {
  return result.signal
    ? `signal ${result.signal}`
    : `exit code ${result.exitCode}`;
}

/**
 * Runs a PostgreSQL client program to completion, collecting the tail of its stderr (and
 * stdout, when `collectStdout`). The signal kills it. A missing program is a failure that says so.
 */
export function runPgTool(
  program: string,
  args: string[],
  options: {
    env: NodeJS.ProcessEnv;
    signal?: AbortSignal;
    onStderrLine?: (line: string) => void;
    /** Piped to the program's stdin (e.g. a dump streamed from S3). */
    stdin?: Readable;
  },
): Promise<PgToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      env: options.env,
      stdio: [options.stdin ? 'pipe' : 'ignore', 'ignore', 'pipe'],
    });
    if (options.stdin && child.stdin) {
      const input = options.stdin;
      // A program that stops reading (EPIPE) ends the input; its exit code tells why.
      child.stdin.on('error', () => input.destroy());
      child.stdin.on('close', () => input.destroy());
      input.pipe(child.stdin);
    }
    const tail = new OutputTail();
    let pending = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      tail.push(chunk);
      if (!options.onStderrLine) return;
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) options.onStderrLine(line);
    });
    const onAbort = () => child.kill('SIGTERM');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', error => {
      options.signal?.removeEventListener('abort', onAbort);
      reject(
        (error as NodeJS.ErrnoException).code === 'ENOENT'
          ? failed(
              `${program} was not found on PATH; install postgresql-client (15 or newer)`,
              error,
            )
          : failed(`could not run ${program}: ${error.message}`, error),
      );
    });
    child.once('close', (exitCode, signal) => {
      options.signal?.removeEventListener('abort', onAbort);
      if (pending.trim() && options.onStderrLine) options.onStderrLine(pending);
      resolve({ exitCode, signal, stderrTail: tail.toString() });
    });
  });
}
