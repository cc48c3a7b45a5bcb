import { randomBytes } from 'node:crypto';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { checkDatabaseName } from '@pg-backup/backstage-plugin-pg-backup-common';
import type { Client } from 'pg';
import { AgentError, failed, refused, toAgentError } from './AgentError';
import type { AgentConfig, PostgresConfig } from './config';
import { BackupManifest, readManifest } from './manifest';
import {
  MAINTENANCE_DATABASE,
  connectPostgres,
  describePostgresError,
  pgToolEnvironment,
} from './postgresAccess';
import {
  PgToolResult,
  describeExit,
  errorLine,
  runPgTool,
  withLargeInputBuffer,
} from './pgTools';
import type { RunContext } from './runBackup';
import { describeS3Error, isNotFound } from './s3Access';

/** The result of a restore. */
export interface RestoreResult {
  key: string;
  targetDatabase: string;
  manifest: BackupManifest;
  /** Whether an existing database was replaced. */
  overwritten: boolean;
  durationMs: number;
}

/** `<db>_restore_YYYYMMDDHHMMSS` (UTC), the default restore target. */
export function defaultTargetDatabase(database: string, at: Date): string {
  const stamp = at.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `${database}_restore_${stamp}`;
}

async function databaseExists(admin: Client, name: string): Promise<boolean> {
  const result = await admin.query(
    'SELECT 1 FROM pg_database WHERE datname = $1',
    [name],
  );
  return (result.rowCount ?? 0) > 0;
}

function refuseExisting(name: string): AgentError {
  return refused(
    `target database "${name}" already exists; set RESTORE_OVERWRITE=true to replace it, or choose another TARGET_DATABASE`,
  );
}

/** Opens the dump object for reading; a missing object behind an existing manifest is refused. */
async function openDumpObject(
  context: RunContext,
  config: AgentConfig,
  key: string,
): Promise<Readable> {
  const { s3 } = config;
  try {
    const object = await context.s3Client.send(
      new GetObjectCommand({ Bucket: s3.bucket, Key: key }),
      { abortSignal: context.signal },
    );
    return object.Body as Readable;
  } catch (e) {
    if (isNotFound(e)) {
      throw refused(
        `s3://${s3.bucket}/${key} has a manifest but no dump object; check BACKUP_FILE`,
      );
    }
    throw describeS3Error(e, s3, 'downloading the dump', key);
  }
}

/** Downloads an object to a file while hashing it; returns size and hex SHA-256. */
async function downloadWithHash(
  context: RunContext,
  config: AgentConfig,
  key: string,
  file: string,
): Promise<{ sizeBytes: number; sha256: string }> {
  const { s3 } = config;
  const body = await openDumpObject(context, config, key);
  const hash = createHash('sha256');
  let sizeBytes = 0;
  const hasher = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      sizeBytes += chunk.length;
      callback(null, chunk);
    },
  });
  try {
    await pipeline(body, hasher, fs.createWriteStream(file, { mode: 0o600 }), {
      signal: context.signal,
    });
  } catch (e) {
    if (context.signal.aborted && context.signal.reason instanceof AgentError) {
      throw context.signal.reason;
    }
    throw toAgentError(e, `downloading s3://${s3.bucket}/${key} to ${file}`);
  }
  return { sizeBytes, sha256: hash.digest('hex') };
}

/**
 * Renames the restored staging database to the target. With overwrite, the current target is
 * renamed aside first (its connections terminated), then dropped once the swap succeeded; if the
 * second rename fails, the original is renamed back.
 */
async function swapIn(
  admin: Client,
  staging: string,
  target: string,
  suffix: string,
  overwrite: boolean,
  log: RunContext['log'],
): Promise<boolean> {
  const id = (name: string) => admin.escapeIdentifier(name);
  const exists = await databaseExists(admin, target);
  if (exists && !overwrite) {
    await dropDatabase(admin, staging).catch(() => {});
    throw refuseExisting(target);
  }
  if (!exists) {
    await admin.query(`ALTER DATABASE ${id(staging)} RENAME TO ${id(target)}`);
    return false;
  }
  const aside = `${target.slice(0, 40)}__replaced_${suffix}`;
  log.info(
    `restore: RESTORE_OVERWRITE=true: terminating connections to "${target}" and swapping in the restored copy`,
  );
  await admin.query(
    `ALTER DATABASE ${id(target)} WITH ALLOW_CONNECTIONS false`,
  );
  try {
    await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [target],
    );
    await admin.query(`ALTER DATABASE ${id(target)} RENAME TO ${id(aside)}`);
  } catch (e) {
    await admin.query(
      `ALTER DATABASE ${id(target)} WITH ALLOW_CONNECTIONS true`,
    );
    await dropDatabase(admin, staging).catch(() => {});
    throw e;
  }
  try {
    await admin.query(`ALTER DATABASE ${id(staging)} RENAME TO ${id(target)}`);
  } catch (e) {
    await admin.query(`ALTER DATABASE ${id(aside)} RENAME TO ${id(target)}`);
    await admin.query(
      `ALTER DATABASE ${id(target)} WITH ALLOW_CONNECTIONS true`,
    );
    await dropDatabase(admin, staging).catch(() => {});
    throw e;
  }
  await dropDatabase(admin, aside);
  return true;
}

async function dropDatabase(admin: Client, name: string): Promise<void> {
  await admin.query(
    'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
    [name],
  );
  await admin.query(
    `DROP DATABASE IF EXISTS ${admin.escapeIdentifier(name)} WITH (FORCE)`,
  );
}

// What pg_restore says when its input is not a readable custom-format archive.
const UNREADABLE_ARCHIVE =
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

/** The staging database a restore into `target` fills before the swap (`suffix`: 8 hex digits). */
export function stagingDatabaseName(target: string, suffix: string): string {
  return `${target.slice(0, 40)}__restoring_${suffix}`;
}

/**
 * Drops the staging databases of `target` that an interrupted restore left behind (its pod
 * killed before it could clean up): those named like ours with no session connected. A staging
 * database being filled right now has pg_restore's sessions and is kept; a plain DROP (no FORCE)
 * also keeps one that someone connects to meanwhile. Returns the names dropped.
 */
export async function dropAbandonedStagingDatabases(
  admin: Client,
  target: string,
): Promise<string[]> {
  const pattern = new RegExp(
    `^${stagingDatabaseName(target, '').replace(
      /[.*+?^${}()|[\]\\]/g,
      '\\$&',
    )}[0-9a-f]{8}$`,
  );
  const { rows } = await admin.query<{ datname: string }>(
    `SELECT d.datname FROM pg_database d
      WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)`,
  );
  const dropped: string[] = [];
  for (const { datname } of rows.filter(r => pattern.test(r.datname))) {
    try {
      await admin.query(
        `DROP DATABASE IF EXISTS ${admin.escapeIdentifier(datname)}`,
      );
      dropped.push(datname);
    } catch {
      // someone connected meanwhile: not abandoned after all
    }
  }
  return dropped;
}

async function createDatabase(admin: Client, name: string): Promise<void> {
  await admin.query(
    `CREATE DATABASE ${admin.escapeIdentifier(name)} TEMPLATE template0`,
  );
}

/** Runs a step that fills the staging database; drops the staging database if it throws. */
async function withStagingCleanup<T>(
  admin: Client,
  staging: string,
  step: () => Promise<T>,
): Promise<T> {
  try {
    return await step();
  } catch (e) {
    await dropDatabase(admin, staging).catch(() => {});
    throw e;
  }
}

/**
 * Streams the object from S3 into `pg_restore -d <staging>` (one job: it reads stdin), hashing
 * every byte. If pg_restore stops reading early (a corrupt archive), the rest of the object is
 * still read and hashed, so a corrupt object is told apart from a failing restore.
 */
async function streamIntoPgRestore(
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

/**
 * The `restore` command. Refuses (exit 2), leaving the target untouched, unless: the key is valid,
 * its manifest exists, the downloaded bytes match the manifest's size and SHA-256, and
 * `pg_restore --list` can read the archive. Then runs a parallel `pg_restore` from the temporary
 * file (always deleted afterwards) into a staging database, and renames that to the target only
 * when it succeeded (with RESTORE_OVERWRITE=true the old target is swapped out and dropped).
 */
export async function restoreFromS3(
  config: AgentConfig,
  context: RunContext,
): Promise<RestoreResult> {
  const { s3Client, log, signal } = context;
  const now = context.now ?? (() => new Date());
  const started = now();
  const key = config.backupKey as string;
  const { s3, postgres } = config;

  // the manifest and the maintenance connection are independent: fetch both at once
  const [manifestRead, adminConnected] = await Promise.allSettled([
    readManifest(s3Client, s3, key),
    connectPostgres(postgres, MAINTENANCE_DATABASE, 'the maintenance database'),
  ]);
  if (manifestRead.status === 'rejected') {
    if (adminConnected.status === 'fulfilled') {
      await adminConnected.value.end().catch(() => {});
    }
    throw manifestRead.reason;
  }
  const manifest = manifestRead.value;
  const target =
    config.targetDatabase ??
    defaultTargetDatabase(postgres.database ?? manifest.database, started);
  const targetProblem = checkDatabaseName(target);
  if (targetProblem || adminConnected.status === 'rejected') {
    if (adminConnected.status === 'fulfilled') {
      await adminConnected.value.end().catch(() => {});
    }
    if (targetProblem) {
      throw refused(
        `default target from PGDATABASE: ${targetProblem}; set TARGET_DATABASE`,
      );
    }
    throw (adminConnected as PromiseRejectedResult).reason;
  }
  const admin = adminConnected.value;
  log.info(
    `restore: s3://${s3.bucket}/${key} (${manifest.sizeBytes} bytes, ${manifest.tableCount} tables, taken ${manifest.startedAt}) -> database "${target}"`,
  );

  const pgEnv = restoreEnvironment(pgToolEnvironment(postgres));
  let workDir: string | undefined;
  try {
    // fail fast, before a long download; checked again right before the swap
    if (!config.restoreOverwrite && (await databaseExists(admin, target))) {
      throw refuseExisting(target);
    }
    const mode = chooseRestoreMode(config, manifest);
    // Restore into a staging database and swap it in only once pg_restore has succeeded and the
    // bytes matched the manifest: a failed, corrupt or interrupted restore never touches the target.
    for (const name of await dropAbandonedStagingDatabases(admin, target)) {
      log.warn(
        `restore: dropped staging database "${name}", left behind by an interrupted restore`,
      );
    }
    const suffix = randomBytes(4).toString('hex');
    const staging = stagingDatabaseName(target, suffix);
    const corrupt = (got: { sizeBytes: number; sha256: string }) =>
      refused(
        `refusing to restore s3://${s3.bucket}/${key}: it has ${got.sizeBytes} bytes with sha256 ${got.sha256}, but its manifest says ${manifest.sizeBytes} bytes with sha256 ${manifest.sha256}; the object is corrupt or was replaced. Database "${target}" was not touched`,
      );
    const matches = (got: { sizeBytes: number; sha256: string }) =>
      got.sha256 === manifest.sha256 && got.sizeBytes === manifest.sizeBytes;

    let restored: PgToolResult;
    let restoreStarted: number;
    if (mode === 'parallel') {
      try {
        workDir = await fs.promises.mkdtemp(
          path.join(config.workDir, 'backup-agent-restore-'),
        );
      } catch (e) {
        throw toAgentError(
          e,
          `creating a work directory in ${config.workDir} (RESTORE_WORK_DIR)`,
        );
      }
      const file = path.join(workDir, path.basename(key));
      const downloaded = await downloadWithHash(context, config, key, file);
      log.info(
        `restore: downloaded ${downloaded.sizeBytes} bytes, sha256 ${downloaded.sha256}`,
      );
      if (!matches(downloaded)) throw corrupt(downloaded);
      log.info('restore: checksum matches the manifest');
      const listing = await runPgTool('pg_restore', ['--list', file], {
        env: pgEnv,
        signal,
      });
      if (listing.exitCode !== 0) {
        throw refused(
          `refusing to restore: pg_restore --list cannot read the archive (${describeExit(
            listing,
          )}): ${errorLine(listing.stderrTail)}`,
        );
      }
      log.info('restore: pg_restore --list reads the archive');
      signal.throwIfAborted();
      await createDatabase(admin, staging);
      log.info(
        `restore: created staging database "${staging}"; pg_restore -j ${config.restoreJobs} started from the downloaded file`,
      );
      restoreStarted = Date.now();
      restored = await withStagingCleanup(admin, staging, () =>
        runPgTool(
          'pg_restore',
          [
            '--no-owner',
            '--exit-on-error',
            '-j',
            String(config.restoreJobs),
            '-d',
            staging,
            file,
          ],
          {
            env: pgEnv,
            signal,
            onStderrLine: line => log.warn(`pg_restore: ${line}`),
          },
        ),
      );
    } else {
      // CREATE DATABASE and the GET's first byte both take a moment: wait for both at once
      const [created, opened] = await Promise.allSettled([
        createDatabase(admin, staging),
        openDumpObject(context, config, key),
      ]);
      if (created.status === 'rejected' || opened.status === 'rejected') {
        if (opened.status === 'fulfilled') opened.value.destroy();
        if (created.status === 'fulfilled') {
          await dropDatabase(admin, staging).catch(() => {});
        }
        throw created.status === 'rejected'
          ? created.reason
          : (opened as PromiseRejectedResult).reason;
      }
      log.info(
        `restore: created staging database "${staging}"; streaming the dump into pg_restore, checking its SHA-256 on the way`,
      );
      restoreStarted = Date.now();
      const streamed = await withStagingCleanup(admin, staging, () =>
        streamIntoPgRestore(context, config, key, opened.value, staging, pgEnv),
      );
      log.info(
        `restore: streamed ${streamed.sizeBytes} bytes, sha256 ${streamed.sha256}`,
      );
      if (!matches(streamed)) {
        await dropDatabase(admin, staging).catch(() => {});
        throw corrupt(streamed);
      }
      log.info('restore: checksum matches the manifest');
      restored = streamed.result;
    }
    if (
      restored.exitCode !== 0 &&
      UNREADABLE_ARCHIVE.test(restored.stderrTail)
    ) {
      await dropDatabase(admin, staging).catch(() => {});
      throw refused(
        `refusing to restore: pg_restore cannot read the archive (${describeExit(
          restored,
        )}): ${errorLine(
          restored.stderrTail,
        )}; database "${target}" was not touched`,
      );
    }
    if (restored.exitCode !== 0) {
      const reason =
        signal.aborted && signal.reason instanceof Error
          ? signal.reason.message
          : `${describeExit(restored)}: ${errorLine(restored.stderrTail)}`;
      await dropDatabase(admin, staging).catch(() => {});
      throw failed(
        `pg_restore failed (${reason}); dropped the staging database, "${target}" was not touched`,
      );
    }
    const exists = await swapIn(
      admin,
      staging,
      target,
      suffix,
      config.restoreOverwrite,
      log,
    );
    const durationMs = now().getTime() - started.getTime();
    log.info(
      `restore: complete: "${target}" restored from ${key} in ${durationMs} ms (pg_restore ${
        Date.now() - restoreStarted
      } ms)`,
    );
    return {
      key,
      targetDatabase: target,
      manifest,
      overwritten: exists,
      durationMs,
    };
  } catch (e) {
    throw describeRestoreError(e, postgres, target);
  } finally {
    await admin.end().catch(() => {});
    if (workDir)
      await fs.promises.rm(workDir, { recursive: true, force: true });
  }
}

function describeRestoreError(
  e: unknown,
  postgres: PostgresConfig,
  target: string,
) {
  if (e instanceof AgentError) return e;
  return describePostgresError(e, postgres, target, 'TARGET_DATABASE');
}
