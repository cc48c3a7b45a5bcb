import fs from 'node:fs';

/**
 * Registers secret values a test world uses (S3 keys, database passwords, service-account and
 * bearer tokens) with `scripts/scan-secrets.js`: appended, one `label<TAB>value` a line, to the
 * file named by `PG_BACKUP_SECRETS_FILE` (set by `scripts/test.sh`), which the scan then looks
 * for in the Jest output and the suites' logs. Without the variable nothing is written.
 */
export function registerTestSecrets(secrets: Record<string, string>): void {
  const file = process.env.PG_BACKUP_SECRETS_FILE;
  if (!file) return;
  const lines = Object.entries(secrets)
    .filter(([, value]) => value.length >= 8)
    .map(([label, value]) => `${label.replace(/\s/g, '-')}\t${value}\n`);
  fs.appendFileSync(file, lines.join(''), { mode: 0o600 });
}

/**
 * The labels of the registered `secrets` that occur in `text` (never the values, so a failure
 * message does not leak them).
 */
export function leakedSecrets(
  text: string,
  secrets: Record<string, string>,
): string[] {
  return Object.entries(secrets)
    .filter(([, value]) => value.length >= 8 && text.includes(value))
    .map(([label]) => label);
}
