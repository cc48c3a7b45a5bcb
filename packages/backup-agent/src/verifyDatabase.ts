import type {
  VerificationCheck,
  VerificationReport,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import type { AgentConfig } from './config';
import { BackupManifest, readManifest } from './manifest';
import { connectPostgres } from './postgresAccess';
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
 * REPEATABLE READ snapshot and compares them with the manifest of BACKUP_FILE.
 */
export async function verifyDatabase(
  config: AgentConfig,
  context: RunContext,
): Promise<VerificationReport> {
  const key = config.backupKey as string;
  const database = (config.targetDatabase ??
    config.postgres.database) as string;
  const variable = config.targetDatabase ? 'TARGET_DATABASE' : 'PGDATABASE';
  const manifest = await readManifest(context.s3Client, config.s3, key);
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
