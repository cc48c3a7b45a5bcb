import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { checkDatabaseName } from '@pg-backup/backstage-plugin-pg-backup-common';
import { AgentError, failed, refused, toAgentError } from './AgentError';
import type { AgentConfig, PostgresConfig } from './config';
import { BackupManifest, readManifest, readManifestIfAny } from './manifest';
import {
  MAINTENANCE_DATABASE,
  connectPostgres,
  describePostgresError,
  pgToolEnvironment,
} from './postgresAccess';
import { PgToolResult, describeExit, errorLine, runPgTool } from './pgTools';
import type { RunContext } from './runBackup';
import {
  createDatabase,
  databaseExists,
  defaultTargetDatabase,
  dropAbandonedStagingDatabases,
  dropDatabase,
  refuseExisting,
  stagingDatabaseName,
  swapIn,
  withStagingCleanup,
} from './stagingDatabases';
import { downloadWithHash, openDumpObject } from './dumpDownload';
import {
  PARALLEL_MIN_TABLES,
  UNREADABLE_ARCHIVE,
  chooseRestoreMode,
  restoreEnvironment,
  streamIntoPgRestore,
} from './pgRestoreStream';

/** The result of a restore. */
export interface RestoreResult {
  key: string;
  targetDatabase: string;
  /** The dump's manifest; undefined for a dump adopted without one (ADOPT_DUMP=true). */
  manifest?: BackupManifest;
  /** The bytes restored: for an adopted dump, what its verify writes into the new manifest. */
  sizeBytes: number;
  sha256: string;
  /** Whether an existing database was replaced. */
  overwritten: boolean;
  durationMs: number;
}

/**
 * The `restore` command. Refuses (exit 2), leaving the target untouched, unless: the key is valid,
 * its manifest exists, the downloaded bytes match the manifest's size and SHA-256, and
 * `pg_restore --list` can read the archive. Then runs a parallel `pg_restore` from the temporary
 * file (always deleted afterwards) into a staging database, and renames that to the target only
 * when it succeeded (with RESTORE_OVERWRITE=true the old target is swapped out and dropped).
 * With ADOPT_DUMP=true a dump without a manifest is restored the same way, its size and SHA-256
 * recorded instead of checked (its verify then writes the manifest).
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
    config.adoptDump
      ? readManifestIfAny(s3Client, s3, key)
      : readManifest(s3Client, s3, key),
    connectPostgres(postgres, MAINTENANCE_DATABASE, 'the maintenance database'),
  ]);
  if (manifestRead.status === 'rejected') {
    if (adminConnected.status === 'fulfilled') {
      await adminConnected.value.end().catch(() => {});
    }
    throw manifestRead.reason;
  }
  const manifest = manifestRead.value;
  const source = postgres.database ?? manifest?.database;
  const target =
    config.targetDatabase ??
    (source === undefined ? '' : defaultTargetDatabase(source, started));
  const targetProblem =
    source === undefined && config.targetDatabase === undefined
      ? 'a dump without a manifest names no database'
      : checkDatabaseName(target);
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
    manifest
      ? `restore: s3://${s3.bucket}/${key} (${manifest.sizeBytes} bytes, ${manifest.tableCount} tables, taken ${manifest.startedAt}) -> database "${target}"`
      : `restore: s3://${s3.bucket}/${key} has no manifest: adopting it (ADOPT_DUMP=true), its size and checksum are recorded instead of checked -> database "${target}"`,
  );

  const pgEnv = restoreEnvironment(pgToolEnvironment(postgres));
  let workDir: string | undefined;
  try {
    // fail fast, before a long download; checked again right before the swap
    if (!config.restoreOverwrite && (await databaseExists(admin, target))) {
      throw refuseExisting(target);
    }
    // A dump without a manifest has an unknown table count: parallel when allowed, so that
    // pg_restore --list reads the whole archive before a database is created.
    const mode = chooseRestoreMode(
      config,
      manifest ?? { tableCount: PARALLEL_MIN_TABLES },
    );
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
        `refusing to restore s3://${s3.bucket}/${key}: it has ${got.sizeBytes} bytes with sha256 ${got.sha256}, but its manifest says ${manifest?.sizeBytes} bytes with sha256 ${manifest?.sha256}; the object is corrupt or was replaced. Database "${target}" was not touched`,
      );
    const matches = (got: { sizeBytes: number; sha256: string }) =>
      !manifest ||
      (got.sha256 === manifest.sha256 && got.sizeBytes === manifest.sizeBytes);
    const checked = manifest
      ? 'restore: checksum matches the manifest'
      : 'restore: no manifest to check the checksum against (adopting)';
    let read: { sizeBytes: number; sha256: string };

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
      log.info(checked);
      read = downloaded;
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
      log.info(checked);
      read = streamed;
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
    if (signal.aborted) {
      // Stopped (SIGTERM: the Job was stopped) after pg_restore finished: the restored copy is
      // not swapped in, so nothing appears after the operation that asked for it has ended.
      await dropDatabase(admin, staging).catch(() => {});
      throw failed(
        `stopped before the restored copy was swapped in (${
          signal.reason instanceof Error ? signal.reason.message : 'aborted'
        }); dropped the staging database, "${target}" was not touched`,
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
      ...(manifest && { manifest }),
      sizeBytes: read.sizeBytes,
      sha256: read.sha256,
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
