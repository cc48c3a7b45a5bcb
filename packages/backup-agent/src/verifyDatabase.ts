import type {
  VerificationCheck,
  VerificationReport,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { refused } from './AgentError';
import type { AgentConfig } from './config';
import {
  BackupManifest,
  manifestKeyFor,
  readManifest,
  readManifestIfAny,
  writeManifest,
} from './manifest';
import { connectPostgres } from './postgresAccess';
import { describeS3Error } from './s3Access';
import type { RunContext } from './runBackup';
import { DatabaseFacts, readDatabaseFacts } from './snapshot';

// The report is the contract with the backend, which reads it from the Job's termination message.
export type {
  VerificationCheck,
  VerificationReport,
} from '@pg-backup/backstage-plugin-pg-backup-common';

/**
 * Compares a database's facts with a backup's manifest: the table count, the exact row count of
 * every table on either side (a table missing on one side has `null` there), the Flyway version.
 */
export function compareWithManifest(
  manifest: BackupManifest,
  facts: DatabaseFacts,
): VerificationCheck[] {
  const check = (
    name: string,
    expected: number | string | null,
    actual: number | string | null,
  ): VerificationCheck => ({
    name,
    expected,
    actual,
    passed: expected === actual,
  });
  const checks = [
    check('tableCount', manifest.tableCount, facts.tables.length),
  ];
  const tables = [
    ...new Set([...Object.keys(manifest.rowCounts), ...facts.tables]),
  ].sort();
  for (const table of tables) {
    checks.push(
      check(
        `rows:${table}`,
        manifest.rowCounts[table] ?? null,
        facts.rowCounts[table] ?? null,
      ),
    );
  }
  checks.push(
    check('flywayVersion', manifest.flywayVersion, facts.flywayVersion),
  );
  return checks;
}

/**
 * Renders a report for Kubernetes' termination message, which keeps at most `maxBytes` (4 KiB):
 * the whole report when it fits, else only the failed checks with a count of the others, else a
 * hard cut.
 */
export function formatTerminationMessage(
  report: VerificationReport,
  maxBytes = 4096,
): string {
  const full = JSON.stringify(report);
  if (Buffer.byteLength(full) <= maxBytes) return full;
  const failedChecks = report.checks.filter(c => !c.passed);
  const compact = JSON.stringify({
    ...report,
    checks: failedChecks,
    omittedPassedChecks: report.checks.length - failedChecks.length,
  });
  if (Buffer.byteLength(compact) <= maxBytes) return compact;
  return Buffer.from(compact)
    .subarray(0, maxBytes)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
}

/**
 * The `verify` command: reads the facts of TARGET_DATABASE (default PGDATABASE) in one
 * REPEATABLE READ snapshot and compares them with the manifest of BACKUP_FILE. With
 * ADOPT_DUMP=true a dump without a manifest (made outside pg-backup) that was just restored into
 * TARGET_DATABASE gets the manifest the agent would have written, from the restored copy and the
 * size and checksum its restore read (ADOPT_SIZE_BYTES, ADOPT_SHA256); from then on it is a
 * backup like the agent's own.
 */
export async function verifyDatabase(
  config: AgentConfig,
  context: RunContext,
): Promise<VerificationReport> {
  const key = config.backupKey as string;
  const database = (config.targetDatabase ??
    config.postgres.database) as string;
  const variable = config.targetDatabase ? 'TARGET_DATABASE' : 'PGDATABASE';
  let manifest = config.adoptDump
    ? await readManifestIfAny(context.s3Client, config.s3, key)
    : await readManifest(context.s3Client, config.s3, key);
  if (manifest)
    context.log.info(
      `verify: comparing database "${database}" with the manifest of ${key} (${
        manifest.tableCount
      } tables, flyway ${manifest.flywayVersion ?? 'none'})`,
    );
  const client = await connectPostgres(config.postgres, database, variable);
  let facts: DatabaseFacts;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    facts = await readDatabaseFacts(client);
    await client.query('COMMIT');
  } finally {
    await client.end().catch(() => {});
  }
  if (!manifest) {
    manifest = await adoptedManifest(config, context, key, facts);
    const written = await writeManifest(context.s3Client, config.s3, manifest);
    context.log.info(
      `verify: ${key} has no manifest: wrote ${written} from the restored copy "${database}" (${manifest.tableCount} tables, ${manifest.sizeBytes} bytes, sha256 ${manifest.sha256})`,
    );
  }
  const checks = compareWithManifest(manifest, facts);
  for (const c of checks) {
    context.log.info(
      `verify: ${c.passed ? 'ok  ' : 'FAIL'} ${c.name}: expected ${
        c.expected
      }, actual ${c.actual}`,
    );
  }
  return {
    backupKey: key,
    database,
    passed: checks.every(c => c.passed),
    checks,
    checkedAt: (context.now ?? (() => new Date()))().toISOString(),
  };
}

/**
 * The manifest of an adopted dump: the restored copy's facts, and the size and SHA-256 its restore
 * read, provided the object still has that size (a dump replaced since is refused).
 */
async function adoptedManifest(
  config: AgentConfig,
  context: RunContext,
  key: string,
  facts: DatabaseFacts,
): Promise<BackupManifest> {
  const { s3 } = config;
  const read = config.adoptedBytes;
  if (!read)
    throw refused(
      `s3://${s3.bucket}/${key} has no manifest: to adopt it, restore it first and pass what the restore read as ADOPT_SHA256 and ADOPT_SIZE_BYTES`,
    );
  let head;
  try {
    head = await context.s3Client.send(
      new HeadObjectCommand({ Bucket: s3.bucket, Key: key }),
      { abortSignal: context.signal },
    );
  } catch (e) {
    throw describeS3Error(e, s3, 'reading the dump', key);
  }
  if (head.ContentLength !== read.sizeBytes)
    throw refused(
      `s3://${s3.bucket}/${key} now has ${
        head.ContentLength
      } bytes, but its restore read ${
        read.sizeBytes
      }: it was replaced since; no manifest written to ${manifestKeyFor(key)}`,
    );
  const at = (head.LastModified ?? new Date()).toISOString();
  return {
    formatVersion: 1,
    kind: 'backup',
    database: config.postgres.database ?? config.targetDatabase ?? '',
    serverVersion: facts.serverVersion,
    key,
    startedAt: at,
    finishedAt: at,
    durationMs: 0,
    sizeBytes: read.sizeBytes,
    sha256: read.sha256,
    encryption: {
      serverSide:
        head.ServerSideEncryption === 'aws:kms' ? 'aws:kms' : 'AES256',
      ...(head.SSEKMSKeyId && { kmsKeyId: head.SSEKMSKeyId }),
    },
    tableCount: facts.tables.length,
    rowCounts: facts.rowCounts,
    flywayVersion: facts.flywayVersion,
    // No snapshot of ours: the dump was taken outside pg-backup, and adopted by this verify.
    snapshot: 'adopted',
  };
}
