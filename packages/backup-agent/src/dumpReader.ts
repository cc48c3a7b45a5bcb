import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import type {
  DumpReaderCommand,
  DumpReaderMessage,
  DumpReaderRequest,
} from './dumpReaderWorker';
import { OutputTail } from './pgTools';

/** How pg_dump ended, with the size and SHA-256 of everything it wrote. */
export interface DumpExit {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Set when pg_dump could not be started (`code` ENOENT: not found). */
  spawnError?: { code?: string; message: string };
  sizeBytes: number;
  sha256: string;
  stderr: OutputTail;
}

/** pg_dump running in a worker thread (see {@link startDumpReader}). */
export interface DumpReader {
  /**
   * pg_dump's output. It ends only once pg_dump has exited and `check` found nothing wrong;
   * otherwise it fails with `check`'s error, so a failed dump can never look complete.
   */
  body: Readable;
  /** Resolves once pg_dump has exited and all its output is in `body`. */
  exited: Promise<DumpExit>;
  /** Stops pg_dump (SIGTERM). */
  kill(): void;
}

/** Block size the worker hands over, and thus the size of the chunks `body` yields. */
export const DUMP_BLOCK_BYTES = 1024 * 1024;

/** The worker's script: bundled next to dist/cli.js, else the TypeScript source. */
function workerScript(): { file: string; execArgv?: string[] } {
  // The agent is not a Backstage backend build: it runs as dist/cli.js (bundled, where this is
  // dist/) or from src/ through sucrase, and the worker's script sits next to it in both.
  // eslint-disable-next-line no-restricted-syntax
  const here = __dirname;
  const bundled = path.join(here, 'dumpReaderWorker.js');
  if (fs.existsSync(bundled)) return { file: bundled };
  return {
    file: path.join(here, 'dumpReaderWorker.ts'),
    execArgv: [
      ...process.execArgv,
      '--require',
      require.resolve('sucrase/register/ts'),
    ],
  };
}

/**
 * Runs `command` (pg_dump) in a worker thread that reads its output as soon as it is written,
 * hashes it, and hands it over in 1 MiB blocks. On the main thread, the S3 upload signs, hashes
 * and sends 8 MiB parts; when pg_dump's output is read there too, every such pause leaves
 * pg_dump blocked on a full pipe. Measured on the benchmark's 1 GB database (325 MiB dump),
 * three alternating pairs: the backup took 18.3–18.8 s instead of 19.4–19.7 s, with pg_dump's
 * own time back at what it takes alone.
 *
 * `body` holds at most `bufferBytes` (plus the blocks already on their way): beyond that the
 * worker stops reading, and pg_dump waits.
 */
export function startDumpReader(options: {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  bufferBytes: number;
  /** Called with pg_dump's exit: an error fails `body`, none ends it. */
  check: (exit: DumpExit) => Error | undefined;
  /** Called with the total bytes read after each block. */
  onProgress?: (sizeBytes: number) => void;
}): DumpReader {
  const request: DumpReaderRequest = {
    command: options.command,
    args: options.args,
    // a plain copy: process.env itself cannot be sent to a thread
    env: { ...options.env },
    blockBytes: DUMP_BLOCK_BYTES,
  };
  const script = workerScript();
  const worker = new Worker(script.file, {
    workerData: request,
    execArgv: script.execArgv,
  });
  const send = (command: DumpReaderCommand) => worker.postMessage(command);
  let paused = false;
  let sizeBytes = 0;
  const body = new Readable({
    highWaterMark: options.bufferBytes,
    read() {
      if (paused) {
        paused = false;
        send('resume');
      }
    },
  });
  const stderr = new OutputTail();
  let pid: number | undefined;
  let settle: (exit: DumpExit) => void = () => {};
  const exited = new Promise<DumpExit>(resolve => {
    settle = resolve;
  });
  let finished = false;
  const finish = (exit: DumpExit) => {
    if (finished) return;
    finished = true;
    settle(exit);
    worker.terminate().catch(() => {});
    const problem = options.check(exit);
    if (problem) body.destroy(problem);
    else body.push(null);
  };
  worker.on('message', (message: DumpReaderMessage) => {
    switch (message.type) {
      case 'spawned':
        pid = message.pid;
        break;
      case 'data':
        sizeBytes += message.length;
        options.onProgress?.(sizeBytes);
        if (
          !body.destroyed &&
          !body.push(Buffer.from(message.block, 0, message.length)) &&
          !paused
        ) {
          paused = true;
          send('pause');
        }
        break;
      case 'stderr':
        stderr.push(message.text);
        break;
      case 'exit':
        finish({ ...message, stderr });
        break;
      default:
    }
  });
  // The thread itself failing (not pg_dump) or stopping early: pg_dump must not outlive it.
  const threadFailed = (reason: string) => {
    if (finished) return;
    if (pid !== undefined) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    finish({
      exitCode: null,
      signal: null,
      spawnError: { message: `its reader thread ${reason}` },
      sizeBytes,
      sha256: '',
      stderr,
    });
  };
  worker.once('error', (error: Error) =>
    threadFailed(`failed: ${error.message}`),
  );
  worker.once('exit', code =>
    threadFailed(`stopped (exit code ${code}) before pg_dump ended`),
  );
  return { body, exited, kill: () => send('kill') };
}
