import { FindingSeverity, HealthFinding, HealthFindingCode } from './types';

const SEVERITY_RANK: Record<FindingSeverity, number> = {
  critical: 0,
  unknown: 1,
  warning: 2,
  info: 3,
};

/**
 * Every finding code with its title for people, in the order that decides which finding
 * heads a severity group: what threatens recovery first (no recoverable point, RPO, backups
 * stopped or failing, schedules, retention), then recovery evidence, then hygiene, and last the
 * anomalies of single objects that never hide a larger problem.
 */
const FINDINGS: [HealthFindingCode, string][] = [
  ['no-backups', 'No recoverable backup'],
  ['rpo-exceeded', 'Recovery point older than the RPO'],
  ['backup-missing', 'No recent full backup'],
  ['last-job-failed', 'Last backup job failed'],
  ['cronjob-missing', 'Backup schedule missing'],
  ['cronjob-suspended', 'Backup schedule suspended'],
  ['missed-runs', 'Scheduled runs missed'],
  ['invalid-schedule', 'Schedule cannot be read'],
  ['backup-too-small', 'Backup much smaller than usual'],
  ['verification-failed', 'Verification failed'],
  ['drill-failed', 'Recovery drill failed'],
  ['fact-unavailable', 'Could not be checked'],
  ['retention-missing', 'No retention rule'],
  ['retention-mismatch', 'Retention differs from the objective'],
  ['encryption-missing', 'Bucket not encrypted by default'],
  ['drill-rto-exceeded', 'Drill slower than the RTO'],
  ['backup-never-verified', 'Never verified'],
  ['drill-never-run', 'No recovery drill recorded'],
  ['drill-overdue', 'Recovery drill overdue'],
  ['credentials-rotation-overdue', 'Credentials due for rotation'],
  ['plain-http-endpoint', 'Storage reached over plain HTTP'],
  ['access-logging-disabled', 'Bucket access logging off'],
  ['backup-incomplete', 'Newest object is not a usable backup'],
  ['clock-skew', 'Backup dated in the future'],
  ['latest-backup-unverified', 'Latest backup not verified yet'],
  ['job-running', 'Backup running'],
];

const CODE_RANK = new Map(FINDINGS.map(([code], index) => [code, index]));
const TITLES = new Map(FINDINGS);

/**
 * A short title for people of a finding code ("Backup schedule suspended"); the code stays the
 * stable name for programs.
 *
 * @public
 */
export function findingTitle(code: HealthFindingCode): string {
  return TITLES.get(code) ?? code;
}

/**
 * Orders findings worst first: by severity (critical, unknown, warning, info), then by how much
 * each threatens recovery. The first one is what a status headline names.
 *
 * @public
 */
export function compareFindings(a: HealthFinding, b: HealthFinding): number {
  return (
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    (CODE_RANK.get(a.code) ?? FINDINGS.length) -
      (CODE_RANK.get(b.code) ?? FINDINGS.length)
  );
}
