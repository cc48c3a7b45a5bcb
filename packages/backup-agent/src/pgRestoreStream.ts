import { createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { AgentError, toAgentError } from './AgentError';
import type { AgentConfig } from './config';
import { BackupManifest } from './manifest';
import { PgToolResult, runPgTool, withLargeInputBuffer } from './pgTools';
import type { RunContext } from './runBackup';

// Streaming a dump into pg_restore (or restoring it in parallel from a file), with its session settings.

/** pg_restore's messages for a file that is not a readable custom-format archive. */
export const UNREADABLE_ARCHIVE =
  /does not appear to be a valid archive|did not find magic string|unsupported version|unrecognized file format|could not read input file|unexpected end of file/;

/**
 * Session settings for pg_restore's connections to the staging database, ahead of any PGOPTIONS
 * of the environment (which win). `synchronous_commit=off`: pg_restore commits every table,
 * index and constraint on its own, and none of them need to wait for its WAL flush, because the
 * staging database is dropped on any failure and only becomes the target through
 * `ALTER DATABASE ... RENAME`, whose own (synchronous) commit flushes all WAL written before it.
 */
export const RESTORE_SESSION_OPTIONS = '-c synchronous_commit=off';

/** The environment of pg_restore: the libpq variables plus {@link RESTORE_SESSION_OPTIONS}. */
export function restoreEnvironment(
  pgEnv: NodeJS.ProcessEnv,
): NodeJS.ProcessEnv {
  return {
    ...pgEnv,
    PGOPTIONS: [RESTORE_SESSION_OPTIONS, pgEnv.PGOPTIONS]
      .filter(Boolean)
      .join(' '),
  };
}

/**
 * What streaming buffers between S3 and pg_restore's stdin. The pipe to pg_restore is the slow
 * side; a larger buffer gains nothing and only raises the agent's memory with the dump's size.
 */
export const STREAM_BUFFER_BYTES = 1024 * 1024;

/** Below this many tables a parallel pg_restore gains less than streaming saves (see README). */
export const PARALLEL_MIN_TABLES = 4;

/** Streams into a single pg_restore, or downloads for a parallel one, as configured or measured. */
export function chooseRestoreMode(
  config: Pick<AgentConfig, 'restoreMode' | 'restoreJobs'>,
  manifest: Pick<BackupManifest, 'tableCount'>,
): 'stream' | 'parallel' {
  if (config.restoreMode !== 'auto') return config.restoreMode;
  return config.restoreJobs > 1 && manifest.tableCount >= PARALLEL_MIN_TABLES
    ? 'parallel'
    : 'stream';
}

/**
 * Streams the object from S3 into `pg_restore -d <staging>` (one job: it reads stdin), hashing
 * every byte. If pg_restore stops reading early (a corrupt archive), the rest of the object is
 * still read and hashed, so a corrupt object is told apart from a failing restore.
 */
export async function streamIntoPgRestore(
  context: RunContext,
  config: AgentConfig,
  key: string,
  body: Readable,
  staging: string,
  pgEnv: NodeJS.ProcessEnv,
): Promise<{ sizeBytes: number; sha256: string; result: PgToolResult }> {
  const { s3 } = config;
  const input = new PassThrough({ highWaterMark: STREAM_BUFFER_BYTES });
  // pg_restore reads the stream through stdio: 1 MiB reads instead of 4 KiB ones
  const restore = withLargeInputBuffer(
    'pg_restore',
    ['--no-owner', '--exit-on-error', '-d', staging],
    pgEnv.PATH ?? process.env.PATH,
  );
  const running = runPgTool(restore.command, restore.args, {
    env: pgEnv,
    signal: context.signal,
    stdin: input,
    onStderrLine: line => context.log.warn(`pg_restore: ${line}`),
  });
  const hash = createHash('sha256');
  let sizeBytes = 0;
  let consumerGone = false;
  input.on('error', () => {
    consumerGone = true;
  });
  input.once('close', () => {
    consumerGone = true;
  });
  try {
    for await (const chunk of body) {
      const bytes = chunk as Buffer;
      hash.update(bytes);
      sizeBytes += bytes.length;
      if (!consumerGone && !input.write(bytes)) {
        await new Promise<void>(resolve => {
          const done = () => {
            input.off('drain', done);
            input.off('close', done);
            resolve();
          };
          input.once('drain', done);
          input.once('close', done);
        });
      }
    }
  } catch (e) {
    input.destroy();
    await running.catch(() => undefined);
    if (context.signal.aborted && context.signal.reason instanceof AgentError) {
      throw context.signal.reason;
    }
    throw toAgentError(e, `downloading s3://${s3.bucket}/${key}`);
  }
  input.end();
  const result = await running;
  return { sizeBytes, sha256: hash.digest('hex'), result };
}
