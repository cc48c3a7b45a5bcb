import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { formatBackupKey } from '@internal/plugin-pg-backup-common';
import type { Client } from 'pg';
import type { AgentLog } from './AgentLog';
import { requestCheckpoint } from './checkpoint';
import type { AgentConfig } from './config';
import { dumpToS3 } from './dumpToS3';
import { BackupManifest, writeManifest } from './manifest';
import {
  connectPostgres,
  describePostgresError,
  pgToolEnvironment,
} from './postgresAccess';
import { exportSnapshot, releaseSnapshot } from './snapshot';

/** What a backup run needs besides its configuration. */
export interface RunContext {
  s3Client: S3Client;
  log: AgentLog;
  /** Aborted on SIGTERM/SIGINT. */
  signal: AbortSignal;
  now?: () => Date;
}

/**
 * The `backup` and `checkpoint` commands: a logical dump of PGDATABASE in one snapshot, streamed
 * to `<S3_PREFIX><db>_YYYYMMDD_HHMMSS.dump`, then its manifest. The manifest is written last and
 * only after the dump object is complete, so object + manifest means a complete backup; on any
 * failure no manifest is written and the dump object is removed or never completed.
 */
export async function runBackup(
  config: AgentConfig,
  kind: 'backup' | 'checkpoint',
  context: RunContext,
): Promise<BackupManifest> {
  const { s3Client, log, signal } = context;
  const now = context.now ?? (() => new Date());
  const database = config.postgres.database as string;
  const { s3 } = config;

  const client: Client = await connectPostgres(config.postgres, database);
  let dumped: string | undefined;
  try {
    let walSwitchLsn: string | undefined;
    if (kind === 'checkpoint') {
      walSwitchLsn = await requestCheckpoint(client, log);
    }
    const started = now();
    const key = formatBackupKey(s3.prefix, database, started);
    log.info(
      `${kind}: starting ${database} -> s3://${s3.bucket}/${key} (server-side encryption ${s3.sse})`,
    );
    const { snapshotId, facts } = await exportSnapshot(client);
    log.info(
      `${kind}: snapshot ${snapshotId}: ${
        facts.tables.length
      } tables, flyway version ${facts.flywayVersion ?? 'none'}, PostgreSQL ${
        facts.serverVersion
      }; pg_dump started`,
    );
    const result = await dumpToS3({
      s3Client,
      s3,
      key,
      database,
      snapshotId,
      pgEnv: pgToolEnvironment(config.postgres),
      signal,
      log,
    });
    dumped = key;
    await releaseSnapshot(client);
    signal.throwIfAborted();
    log.info(
      `${kind}: uploaded ${result.sizeBytes} bytes, sha256 ${result.sha256}`,
    );

    const finished = now();
    const manifest: BackupManifest = {
      formatVersion: 1,
      kind,
      database,
      serverVersion: facts.serverVersion,
      key,
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      durationMs: finished.getTime() - started.getTime(),
      sizeBytes: result.sizeBytes,
      sha256: result.sha256,
      encryption: {
        serverSide: s3.sse,
        ...(s3.sse === 'aws:kms' && s3.kmsKeyId
          ? { kmsKeyId: s3.kmsKeyId }
          : {}),
      },
      tableCount: facts.tables.length,
      rowCounts: facts.rowCounts,
      flywayVersion: facts.flywayVersion,
      snapshot: snapshotId,
      ...(walSwitchLsn ? { walSwitchLsn } : {}),
    };
    const manifestKey = await writeManifest(s3Client, s3, manifest);
    dumped = undefined;
    log.info(`${kind}: wrote s3://${s3.bucket}/${manifestKey}`);
    log.info(
      `${kind}: complete: s3://${s3.bucket}/${key} (${result.sizeBytes} bytes, sha256 ${result.sha256}, ${manifest.durationMs} ms)`,
    );
    return manifest;
  } catch (e) {
    if (dumped) {
      // the dump finished but the manifest did not: remove the orphan so nothing half-done remains
      await s3Client
        .send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: dumped }))
        .catch(() =>
          log.warn(
            `${kind}: could not remove the dump without manifest s3://${s3.bucket}/${dumped}`,
          ),
        );
    }
    throw describePostgresError(e, config.postgres, database);
  } finally {
    await client.end().catch(() => {});
  }
}
