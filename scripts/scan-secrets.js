#!/usr/bin/env node
/*
 * Scans test output for secret values: `node scripts/scan-secrets.js <secrets file> <file or
 * directory>...`. The secrets file holds one `label<TAB>value` a line, appended by the test worlds
 * (S3 keys, service-account and user tokens, Secret contents; see
 * plugins/pg-backup-backend/src/__testUtils__/testSecrets.ts). Every given file, and every file
 * under a given directory, is searched line by line. A leak is reported as `file:line: label`,
 * never with the value; the exit code is 1 if any leak was found or no secret was registered.
 */
const fs = require('node:fs');
const path = require('node:path');

const [secretsFile, ...targets] = process.argv.slice(2);
if (!secretsFile || targets.length === 0) {
  console.error(
    'usage: node scripts/scan-secrets.js <secrets file> <file or directory>...',
  );
  process.exit(2);
}

const secrets = new Map();
if (fs.existsSync(secretsFile)) {
  for (const line of fs.readFileSync(secretsFile, 'utf8').split('\n')) {
    const tab = line.indexOf('\t');
    if (tab <= 0) continue;
    const value = line.slice(tab + 1);
    // Short values would match ordinary words; the worlds register long random ones.
    if (value.length >= 8) secrets.set(value, line.slice(0, tab));
  }
}
if (secrets.size === 0) {
  console.log(
    `no secret registered in ${secretsFile}: the test worlds did not run with PG_BACKUP_SECRETS_FILE set`,
  );
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const files = [];
const walk = target => {
  const stat = fs.statSync(target, { throwIfNoEntry: false });
  if (!stat) return;
  if (stat.isDirectory()) {
    for (const entry of fs.readdirSync(target)) walk(path.join(target, entry));
  } else if (
    stat.isFile() &&
    path.resolve(target) !== path.resolve(secretsFile)
  ) {
    files.push(target);
  }
};
targets.forEach(walk);

let leaks = 0;
for (const file of files) {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  lines.forEach((line, i) => {
    for (const [value, label] of secrets) {
      if (line.includes(value)) {
        leaks++;
        console.log(`${file}:${i + 1}: ${label}`);
      }
    }
  });
}
const labels = new Set(secrets.values());
console.log(
  `scanned ${files.length} files for ${secrets.size} secret values (${labels.size} kinds): ${leaks} leaks`,
);
process.exit(leaks === 0 ? 0 : 1);
