// The worker thread that runs pg_dump for a backup (see dumpReader.ts): it reads pg_dump's
// archive as soon as it is written, hashes it and hands it to the main thread in 1 MiB blocks,
// so pg_dump never waits while the main thread signs and sends parts to S3.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { MessagePort, parentPort, workerData } from 'node:worker_threads';

/** What the worker runs (its `workerData`). */
export interface DumpReaderRequest {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Bytes per block handed to the main thread. */
  blockBytes: number;
}

/** Messages from the worker, in order: `spawned`, `data` and `stderr`, then one `exit`. */
export type DumpReaderMessage =
  | { type: 'spawned'; pid: number }
  | { type: 'data'; block: ArrayBuffer; length: number }
  | { type: 'stderr'; text: string }
  | {
      type: 'exit';
      exitCode: number | null;
      signal: NodeJS.Signals | null;
      spawnError?: { code?: string; message: string };
      sizeBytes: number;
      sha256: string;
    };

/** Messages to the worker: flow control, and stopping pg_dump. */
export type DumpReaderCommand = 'pause' | 'resume' | 'kill';

function readDump(port: MessagePort, request: DumpReaderRequest): void {
  const child = spawn(request.command, request.args, {
    env: request.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid !== undefined)
    port.postMessage({ type: 'spawned', pid: child.pid });
  const hash = createHash('sha256');
  let sizeBytes = 0;
  let block = Buffer.allocUnsafeSlow(request.blockBytes);
  let used = 0;
  // after 'kill': what pg_dump still writes is read and dropped
  let stopping = false;
  const handOver = () => {
    if (used === 0) return;
    const message: DumpReaderMessage = {
      type: 'data',
      block: block.buffer as ArrayBuffer,
      length: used,
    };
    port.postMessage(message, [block.buffer as ArrayBuffer]);
    block = Buffer.allocUnsafeSlow(request.blockBytes);
    used = 0;
  };
  child.stdout.on('data', (chunk: Buffer) => {
    if (stopping) return;
    hash.update(chunk);
    sizeBytes += chunk.length;
    for (let offset = 0; offset < chunk.length; ) {
      const n = Math.min(chunk.length - offset, block.length - used);
      chunk.copy(block, used, offset, offset + n);
      used += n;
      offset += n;
      if (used === block.length) handOver();
    }
  });
  child.stderr.on('data', (chunk: Buffer) =>
    port.postMessage({ type: 'stderr', text: chunk.toString() }),
  );
  port.on('message', (command: DumpReaderCommand) => {
    if (command === 'kill') {
      // drain what is left unread, or pg_dump's stdout (and so its exit) never closes
      stopping = true;
      child.kill('SIGTERM');
      child.stdout.resume();
    } else if (!stopping) {
      if (command === 'pause') child.stdout.pause();
      else child.stdout.resume();
    }
  });
  let exited = false;
  const exit = (
    exitCode: number | null,
    signal: NodeJS.Signals | null,
    spawnError?: NodeJS.ErrnoException,
  ) => {
    if (exited) return;
    exited = true;
    handOver();
    const message: DumpReaderMessage = {
      type: 'exit',
      exitCode,
      signal,
      spawnError: spawnError && {
        code: spawnError.code,
        message: spawnError.message,
      },
      sizeBytes,
      sha256: hash.digest('hex'),
    };
    // the main thread terminates this worker once it has read this message
    port.postMessage(message);
  };
  child.once('error', error => exit(null, null, error));
  // 'close': stdout and stderr are read to their end, so every byte was handed over
  child.once('close', (exitCode, signal) => exit(exitCode, signal));
}

if (parentPort) readDump(parentPort, workerData as DumpReaderRequest);
