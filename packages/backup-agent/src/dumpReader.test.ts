import { createHash } from 'node:crypto';
import { DUMP_BLOCK_BYTES, DumpExit, startDumpReader } from './dumpReader';

jest.setTimeout(30_000);

const MIB = 1024 * 1024;
const checkExit = (exit: DumpExit) =>
  exit.exitCode === 0 ? undefined : new Error(`exit ${exit.exitCode}`);

async function readAll(body: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('startDumpReader', () => {
  it('hands over every byte in order, with its size and SHA-256', async () => {
    // 5.5 MiB of random bytes, in eleven writes
    const script =
      'i=0; while [ $i -lt 11 ]; do head -c 524288 /dev/urandom; i=$((i+1)); done';
    const progress: number[] = [];
    const reader = startDumpReader({
      command: 'sh',
      args: ['-c', script],
      env: process.env,
      bufferBytes: 8 * MIB,
      check: checkExit,
      onProgress: size => progress.push(size),
    });
    const bytes = await readAll(reader.body);
    const exit = await reader.exited;
    expect(bytes.length).toBe(5.5 * MIB);
    expect(exit).toMatchObject({ exitCode: 0, sizeBytes: bytes.length });
    expect(exit.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(progress[progress.length - 1]).toBe(bytes.length);
    expect(progress.slice(0, 5)).toEqual([1, 2, 3, 4, 5].map(n => n * MIB));
  });

  it('stops reading when nobody reads the body, so memory stays bounded', async () => {
    // `yes` writes as fast as it can, for ever
    let handedOver = 0;
    const reader = startDumpReader({
      command: 'yes',
      args: ['0123456789abcdef'],
      env: process.env,
      bufferBytes: 4 * MIB,
      check: () => undefined,
      onProgress: size => {
        handedOver = size;
      },
    });
    await new Promise(resolve => setTimeout(resolve, 1_500));
    const early = handedOver;
    await new Promise(resolve => setTimeout(resolve, 1_000));
    // the buffer plus the blocks already on their way when the worker was told to pause
    expect(handedOver).toBeGreaterThanOrEqual(4 * MIB);
    expect(handedOver).toBeLessThanOrEqual(4 * MIB + 8 * DUMP_BLOCK_BYTES);
    expect(handedOver).toBe(early);
    // a paused reader can still be stopped: the rest is drained, and the program ends
    reader.kill();
    const exit = await reader.exited;
    expect(exit.signal).toBe('SIGTERM');
  });

  it('fails the body with the error the check makes of a failed exit, with stderr', async () => {
    const reader = startDumpReader({
      command: 'sh',
      args: [
        '-c',
        'echo partial; echo "pg_dump: error: query failed" >&2; exit 1',
      ],
      env: process.env,
      bufferBytes: MIB,
      check: exit =>
        exit.exitCode === 0
          ? undefined
          : new Error(`failed (${exit.exitCode}): ${exit.stderr.lastLine()}`),
    });
    await expect(readAll(reader.body)).rejects.toThrow(
      'failed (1): pg_dump: error: query failed',
    );
    expect(await reader.exited).toMatchObject({ exitCode: 1, sizeBytes: 8 });
  });

  it('reports a program that cannot be started', async () => {
    const reader = startDumpReader({
      command: 'no-such-pg-dump-here',
      args: [],
      env: process.env,
      bufferBytes: MIB,
      check: exit =>
        exit.spawnError ? new Error(exit.spawnError.code) : undefined,
    });
    await expect(readAll(reader.body)).rejects.toThrow('ENOENT');
    expect((await reader.exited).spawnError?.code).toBe('ENOENT');
  });
});
