import {
  VerificationCheck,
  VerificationReport,
} from '@pg-backup/backstage-plugin-pg-backup-common';

function isCheck(value: unknown): value is VerificationCheck {
  const c = value as VerificationCheck;
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof c.name === 'string' &&
    typeof c.passed === 'boolean'
  );
}

function asReport(text: string): VerificationReport | undefined {
  try {
    const value = JSON.parse(text) as VerificationReport;
    if (
      typeof value.backupKey === 'string' &&
      typeof value.database === 'string' &&
      typeof value.passed === 'boolean' &&
      Array.isArray(value.checks) &&
      value.checks.every(isCheck) &&
      typeof value.checkedAt === 'string'
    )
      return {
        backupKey: value.backupKey,
        database: value.database,
        passed: value.passed,
        checks: value.checks.map(c => ({
          name: c.name,
          expected: c.expected ?? null,
          actual: c.actual ?? null,
          passed: c.passed,
        })),
        checkedAt: value.checkedAt,
      };
  } catch {
    // not the report
  }
  return undefined;
}

/**
 * The agent's verification report from a verify Job's termination message, or else from its
 * log, whose last JSON line it is (log lines may carry a Kubernetes timestamp prefix).
 */
export function readVerificationReport(
  terminationMessage: string | undefined,
  logTail: string | undefined,
): VerificationReport | undefined {
  const fromMessage = terminationMessage
    ? asReport(terminationMessage.trim())
    : undefined;
  if (fromMessage) return fromMessage;
  const lines = (logTail ?? '').split('\n').reverse();
  for (const line of lines) {
    const start = line.indexOf('{');
    if (start < 0) continue;
    const report = asReport(line.slice(start).trim());
    if (report) return report;
  }
  return undefined;
}

/** One line naming the failed checks of a report, for summaries and errors. */
export function describeFailedChecks(report: VerificationReport): string {
  const failed = report.checks.filter(c => !c.passed);
  if (failed.length === 0)
    return report.checks.length === 1
      ? 'the 1 check passed'
      : `all ${report.checks.length} checks passed`;
  return `${failed.length} of ${report.checks.length} checks failed: ${failed
    .slice(0, 5)
    .map(c => `${c.name} expected ${c.expected}, got ${c.actual}`)
    .join('; ')}${failed.length > 5 ? '; …' : ''}`;
}
