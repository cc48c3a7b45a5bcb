// Each property checks the outcome its generated case calls for, so expectations are conditional.
/* eslint-disable jest/no-conditional-expect */
import {
  checkBackupKey,
  checkBucketName,
  checkDatabaseName,
  checkKeyPrefix,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import fc from 'fast-check';
import {
  AGENT_COMMANDS,
  AgentCommand,
  readAgentConfig,
  resolveBackupKey,
} from './config';
import { AgentError } from './AgentError';

// PG_BACKUP_SOAK=1 runs ten times as many cases; a failure prints the seed to replay it.
const runs = (n: number) => (process.env.PG_BACKUP_SOAK === '1' ? n * 10 : n);

const SECRETS = {
  PGPASSWORD: 'pg-SECRET-5f1e',
  AWS_ACCESS_KEY_ID: 'AKIA-SECRET-9c2d',
  AWS_SECRET_ACCESS_KEY: 'aws-SECRET-77ab',
  AWS_SESSION_TOKEN: 'token-SECRET-0d0d',
};

const hostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc
    .array(
      fc.constantFrom(
        '../',
        '..',
        '%2e%2e%2f',
        '/',
        ';',
        '|',
        '&',
        '$(id)',
        '`id`',
        "'",
        '"',
        '\n',
        '\u0000',
        '\u202e',
        '\ud800',
        '😀',
        ' ',
        'a',
        '0',
        '-',
        '.dump',
        'qawave_20260130_020000',
      ),
      { maxLength: 8 },
    )
    .map(parts => parts.join('')),
  fc.constantFrom('', ' ', 'x'.repeat(2000)),
);

/** Each variable: a valid value, a hostile one, or unset. */
const VARIABLES: Record<string, fc.Arbitrary<string>> = {
  PGHOST: fc.oneof(fc.constant('127.0.0.1'), hostile),
  PGPORT: fc.oneof(
    fc.constantFrom('5432', '0', '65536', '-1', '5432.0', '1e3', ' 5432'),
    hostile,
  ),
  PGUSER: fc.oneof(fc.constant('postgres'), hostile),
  PGDATABASE: fc.oneof(fc.constantFrom('qawave', 'Qa_wave-1'), hostile),
  TARGET_DATABASE: fc.oneof(fc.constant('qawave_copy'), hostile),
  S3_BUCKET: fc.oneof(
    fc.constantFrom('qawave-backups', 'a.b', 'xn--x', '192.168.0.1'),
    hostile,
  ),
  S3_PREFIX: fc.oneof(
    fc.constantFrom('', 'postgresql/daily/', 'postgresql/daily', '../x/'),
    hostile,
  ),
  S3_ENDPOINT: fc.oneof(
    fc.constantFrom(
      'http://127.0.0.1:4566',
      'https://s3.example.com',
      'ftp://x',
      'http://',
    ),
    hostile,
  ),
  S3_SSE: fc.oneof(fc.constantFrom('AES256', 'aws:kms', 'aes256'), hostile),
  S3_SSE_KMS_KEY_ID: hostile,
  BACKUP_FILE: fc.oneof(
    fc.constantFrom(
      'qawave_20260130_020000.dump',
      'postgresql/daily/qawave_20260130_020000.dump',
      '../qawave_20260130_020000.dump',
      'postgresql/daily/../../etc/passwd.dump',
      '%2e%2e%2fqawave.dump',
      'qawave;rm -rf /.dump',
      '$(AWS_SECRET_ACCESS_KEY).dump',
    ),
    hostile,
  ),
  RESTORE_OVERWRITE: fc.oneof(
    fc.constantFrom('true', 'false', 'TRUE', '1'),
    hostile,
  ),
  RESTORE_JOBS: fc.oneof(
    fc.constantFrom('1', '4', '64', '65', '0', '2.5', '04'),
    hostile,
  ),
  RESTORE_MODE: fc.oneof(
    fc.constantFrom('auto', 'stream', 'parallel', 'fast'),
    hostile,
  ),
  // Files that cannot exist: the fuzz must not read real files on this machine.
  PGPASSWORD_FILE: hostile.map(h => `/nonexistent-pg-backup-fuzz/${h}`),
  ...Object.fromEntries(
    Object.entries(SECRETS).map(([name, secret]) => [
      name,
      fc.constant(secret),
    ]),
  ),
};

const environments = fc.record(VARIABLES, { requiredKeys: [] });
const NAMES = Object.keys(VARIABLES).join('|');

describe('readAgentConfig with hostile environments', () => {
  it('returns a configuration within the documented grammar or refuses naming the variable, never revealing a secret', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...AGENT_COMMANDS) as fc.Arbitrary<AgentCommand>,
        environments,
        (command, env) => {
          let config;
          try {
            config = readAgentConfig(command, env);
          } catch (error) {
            expect(error).toBeInstanceOf(AgentError);
            const { exitCode, message } = error as AgentError;
            expect(exitCode).toBe(2);
            expect(message).toMatch(
              new RegExp(`\\b(${NAMES})\\b|missing environment variable`),
            );
            for (const secret of Object.values(SECRETS))
              expect(message).not.toContain(secret);
            expect(message.length).toBeLessThan(1500);
            return;
          }
          expect(checkBucketName(config.s3.bucket)).toBeUndefined();
          expect(checkKeyPrefix(config.s3.prefix)).toBeUndefined();
          if (config.backupKey !== undefined) {
            expect(
              checkBackupKey(config.backupKey, config.s3.prefix),
            ).toBeUndefined();
            expect(config.backupKey.endsWith('.dump')).toBe(true);
            expect(config.backupKey.slice(config.s3.prefix.length)).not.toMatch(
              /\//,
            );
          }
          for (const database of [
            config.postgres.database,
            config.targetDatabase,
          ])
            if (database !== undefined)
              expect(checkDatabaseName(database)).toBeUndefined();
          expect(config.postgres.port).toBeGreaterThanOrEqual(1);
          expect(config.postgres.port).toBeLessThanOrEqual(65535);
          expect(config.restoreJobs).toBeGreaterThanOrEqual(1);
          expect(config.restoreJobs).toBeLessThanOrEqual(64);
          expect(['AES256', 'aws:kms']).toContain(config.s3.sse);
          expect(['auto', 'stream', 'parallel']).toContain(config.restoreMode);
          if (config.s3.endpoint !== undefined)
            expect(config.s3.endpoint).toMatch(/^https?:\/\//);
          expect(config.secrets).toEqual(
            expect.arrayContaining(
              Object.entries(SECRETS)
                .filter(([name]) => env[name as keyof typeof env] !== undefined)
                .map(([, secret]) => secret),
            ),
          );
        },
      ),
      { numRuns: runs(5000) },
    );
  });

  it('resolves a backup file to a key directly under the prefix, or refuses naming BACKUP_FILE', () => {
    fc.assert(
      fc.property(
        VARIABLES.BACKUP_FILE,
        fc.constantFrom('', 'postgresql/daily/', 'a/'),
        (file, prefix) => {
          let key;
          try {
            key = resolveBackupKey(file, prefix);
          } catch (error) {
            expect(error).toBeInstanceOf(AgentError);
            expect((error as Error).message).toMatch(/^BACKUP_FILE "/);
            return;
          }
          expect(key.startsWith(prefix)).toBe(true);
          expect(key.slice(prefix.length)).not.toMatch(/\/|^\.\.?$/);
          expect(key.endsWith('.dump')).toBe(true);
        },
      ),
      { numRuns: runs(5000) },
    );
  });
});

describe('readAgentConfig regressions found by the properties', () => {
  it('quotes at most 120 characters of a huge value', () => {
    expect(() =>
      readAgentConfig('backup', {
        PGDATABASE: 'qawave',
        S3_BUCKET: 'qawave-backups',
        S3_PREFIX: '',
        S3_SSE: 'x'.repeat(10_000),
      }),
    ).toThrow(
      `S3_SSE "${'x'.repeat(120)}…" is not valid: use "AES256" or "aws:kms"`,
    );
  });
});
