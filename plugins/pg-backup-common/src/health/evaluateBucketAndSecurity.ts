import { formatDuration } from '../durations';
import { BackupHealthInput, HealthFinding, SecurityFacts } from './types';
import { CREDENTIALS_ROTATION_MS, DAY_MS } from './thresholds';
import { formatDays } from './formatting';

export function evaluateStoragePolicy(
  input: BackupHealthInput,
  policy: { expirationDays?: number; defaultEncryption?: string },
  add: (f: HealthFinding) => void,
): void {
  const objectiveDays = input.objectives.retentionMs / DAY_MS;
  if (policy.expirationDays === undefined) {
    add({
      code: 'retention-missing',
      severity: 'warning',
      message: `No lifecycle rule expires the backups; the retention objective is ${formatDays(
        objectiveDays,
      )}`,
    });
  } else if (Math.abs(policy.expirationDays - objectiveDays) >= 1) {
    const shorter = policy.expirationDays < objectiveDays;
    add({
      code: 'retention-mismatch',
      severity: 'warning',
      message: `Lifecycle rule expires backups after ${formatDays(
        policy.expirationDays,
      )}, but the retention objective is ${formatDays(objectiveDays)}${
        shorter
          ? ': backups are deleted too early'
          : ': backups are kept longer than the policy allows'
      }`,
    });
  }
  if (!policy.defaultEncryption) {
    add({
      code: 'encryption-missing',
      severity: 'warning',
      message: 'The bucket has no default server-side encryption',
    });
  }
}

export function evaluateSecurity(
  security: SecurityFacts,
  now: Date,
  add: (f: HealthFinding) => void,
): void {
  if (!security.accessLogging) {
    add({
      code: 'access-logging-disabled',
      severity: 'warning',
      message:
        'S3 server access logging is off for the bucket: reads of the backups are not audited',
    });
  }
  if (/^http:\/\//i.test(security.endpoint)) {
    // The endpoint itself is an internal URL: it stays out of what the portal shows.
    const loopback = isLoopback(security.endpoint);
    add({
      code: 'plain-http-endpoint',
      severity: loopback ? 'info' : 'warning',
      subject: 'S3 endpoint',
      message: loopback
        ? 'S3 is reached over plain HTTP on a loopback address, so nothing crosses a network; any other endpoint needs https'
        : 'Backups are read from S3 over plain HTTP; use an https endpoint',
    });
  }
  const secret = security.credentialsSecret;
  if (secret) {
    const ageMs = now.getTime() - Date.parse(secret.createdAt);
    if (ageMs > CREDENTIALS_ROTATION_MS) {
      add({
        code: 'credentials-rotation-overdue',
        severity: 'warning',
        subject: secret.name,
        message: `Backup credentials Secret ${secret.name} is ${formatDuration(
          ageMs,
        )} old; rotate it at least every ${formatDuration(
          CREDENTIALS_ROTATION_MS,
        )}`,
      });
    }
  }
}

/** Whether a URL's host is this machine (localhost, 127.0.0.0/8, ::1): its traffic never leaves it. */
function isLoopback(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '[::1]' ||
    /^127(\.\d{1,3}){3}$/.test(host)
  );
}
