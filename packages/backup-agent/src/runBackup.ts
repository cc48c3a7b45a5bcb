import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { formatBackupKey } from '@pg-backup/backstage-plugin-pg-backup-common';
import type { Client } from 'pg';
import type { AgentLog } from './AgentLog';
import { requestCheckpoint } from './checkpoint';
import type { AgentConfig } from './config';
import { DumpResult, DumpToS3Options, dumpToS3 } from './dumpToS3';
import { BackupManifest, writeManifest } from './manifest';
import {
  connectPostgres,
  describePostgresError,
  pgToolEnvironment,
} from './postgresAccess';
import {
  DatabaseFacts,
  beginExportedSnapshot,
  readFactsInSnapshot,
  releaseSnapshot,
} from './snapshot';

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

  // one connection exports the snapshot (and holds it until pg_dump is done), a second one
  // imports it and counts the rows while pg_dump runs
  const connecting = await Promise.allSettled([
    connectPostgres(config.postgres, database),
    connectPostgres(config.postgres, database),
  ]);
  const [client, factsClient] = connecting.map(c =>
    c.status === 'fulfilled' ? c.value : undefined,
  );
  if (!client || !factsClient) {
    await Promise.all([client?.end(), factsClient?.end()]).catch(() => {});
    throw (
      connecting.find(c => c.status === 'rejected') as PromiseRejectedResult
    ).reason;
  }
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
    const snapshotId = await beginExportedSnapshot(client);
    log.info(
      `${kind}: snapshot ${snapshotId}; pg_dump started, counting the rows in the same snapshot meanwhile`,
    );
    const { result, facts } = await dumpWithFacts(
      snapshotId,
      client,
      factsClient,
      dumpOptions => dumpToS3(dumpOptions),
      {
        s3Client,
        s3,
        key,
        database,
        snapshotId,
        pgEnv: pgToolEnvironment(config.postgres),
        signal,
        log,
        compression: config.dumpCompression,
      },
    );
    log.info(
      `${kind}: snapshot ${snapshotId}: ${
        facts.tables.length
      } tables, flyway version ${facts.flywayVersion ?? 'none'}, PostgreSQL ${
        facts.serverVersion
      }`,
    );
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
    await Promise.all([
      client.end().catch(() => {}),
      factsClient.end().catch(() => {}),
    ]);
  }
}

/**
 * Runs the dump and reads the facts on `factsClient` (importing `snapshotId`, which `client`
 * exported and holds) at the same time: the exact counts cost no wall time of their own.
 * If either fails, the other is stopped (pg_dump killed and its upload aborted, or the counting
 * query cancelled) and awaited, and the first failure is thrown.
 */
export async function dumpWithFacts(
  snapshotId: string,
  client: Client,
  factsClient: Client,
  dump: (options: DumpToS3Options) => Promise<DumpResult>,
  options: DumpToS3Options,
): Promise<{ result: DumpResult; facts: DatabaseFacts }> {
  let firstFailure: { error: unknown } | undefined;
  const stopDump = new AbortController();
  const factsRead = readFactsInSnapshot(factsClient, snapshotId).catch(e => {
    firstFailure ??= { error: e };
    stopDump.abort(e);
    throw e;
  });
  const dumping = dump({
    ...options,
    signal: AbortSignal.any([options.signal, stopDump.signal]),
  }).catch(async e => {
    firstFailure ??= { error: e };
    // a count of a large table can take a while: stop it rather than wait for it
    // (pg sets processID from the server's BackendKeyData; @types/pg does not declare it)
    const pid = (factsClient as unknown as { processID?: number }).processID;
    if (pid) {
      await client.query('SELECT pg_cancel_backend($1)', [pid]).catch(() => {});
    }
    throw e;
  });
  const [dumped, read] = await Promise.allSettled([dumping, factsRead]);
  if (firstFailure) throw firstFailure.error;
  if (dumped.status === 'rejected') throw dumped.reason;
  if (read.status === 'rejected') throw read.reason;
  return { result: dumped.value, facts: read.value };
}
