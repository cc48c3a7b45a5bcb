import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readAgentConfig, readSecret, resolveBackupKey } from './config';

const BASE = {
  PGDATABASE: 'qawave',
  S3_BUCKET: 'qawave-backups',
  S3_PREFIX: 'postgresql/daily/',
};

describe('readAgentConfig', () => {
  it('applies the defaults', () => {
    const config = readAgentConfig('backup', BASE);
    expect(config.postgres).toEqual({
      host: 'localhost',
      port: 5432,
      user: 'postgres',
      password: undefined,
      database: 'qawave',
    });
    expect(config.s3).toMatchObject({
      region: 'us-east-1',
      sse: 'AES256',
      credentials: undefined,
      endpoint: undefined,
    });
    expect(config.terminationMessagePath).toBe('/dev/termination-log');
    expect(config.restoreOverwrite).toBe(false);
    expect(config.dumpCompression).toBe(1);
    expect(config.adoptDump).toBe(false);
    expect(config.adoptedBytes).toBeUndefined();
    expect(
      readAgentConfig('verify', {
        ...BASE,
        BACKUP_FILE: 'a.dump',
        ADOPT_DUMP: 'true',
        ADOPT_SHA256: 'b'.repeat(64),
        ADOPT_SIZE_BYTES: '1234',
      }),
    ).toMatchObject({
      adoptDump: true,
      adoptedBytes: { sizeBytes: 1234, sha256: 'b'.repeat(64) },
    });
    expect(
      readAgentConfig('backup', { ...BASE, PG_DUMP_COMPRESSION: '6' })
        .dumpCompression,
    ).toBe(6);
  });

  it('names every missing variable of the command', () => {
    expect(() => readAgentConfig('restore', { PGDATABASE: 'x' })).toThrow(
      'missing environment variables S3_BUCKET, S3_PREFIX, BACKUP_FILE (needed by "restore")',
    );
    expect(() =>
      readAgentConfig('verify', {
        ...BASE,
        PGDATABASE: '',
        BACKUP_FILE: 'a.dump',
      }),
    ).toThrow('missing environment variable PGDATABASE or TARGET_DATABASE');
  });

  it('names the invalid value and what would be valid', () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ PGPORT: 'abc' }, 'PGPORT "abc" is not a port number'],
      [
        { S3_SSE: 'des' },
        'S3_SSE "des" is not valid: use "AES256" or "aws:kms"',
      ],
      [
        { S3_PREFIX: 'postgresql/daily' },
        'S3_PREFIX: prefix "postgresql/daily" must end with "/"',
      ],
      [{ S3_BUCKET: 'Bad_Bucket' }, 'S3_BUCKET: bucket "Bad_Bucket"'],
      [
        { RESTORE_OVERWRITE: 'yes' },
        'RESTORE_OVERWRITE "yes" is not valid: use "true" or "false"',
      ],
      [
        { PGDATABASE: 'a;drop' },
        'PGDATABASE: database name "a;drop" is not accepted',
      ],
      [
        { PG_DUMP_COMPRESSION: '10' },
        'PG_DUMP_COMPRESSION "10" is not a gzip level from 0 (no compression) to 9; the default is 1',
      ],
      [
        { PG_DUMP_COMPRESSION: 'fast' },
        'PG_DUMP_COMPRESSION "fast" is not a gzip level',
      ],
      [
        { AWS_ACCESS_KEY_ID: 'AKIA' },
        'set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
      ],
      [
        { ADOPT_DUMP: 'yes' },
        'ADOPT_DUMP "yes" is not valid: use "true" or "false"',
      ],
      [
        { ADOPT_SHA256: 'ABC', ADOPT_SIZE_BYTES: '1' },
        'ADOPT_SHA256 "ABC" is not 64 lowercase hex digits',
      ],
      [
        { ADOPT_SHA256: 'a'.repeat(64), ADOPT_SIZE_BYTES: '-1' },
        'ADOPT_SIZE_BYTES "-1" is not a whole number of bytes',
      ],
      [
        { ADOPT_SHA256: 'a'.repeat(64) },
        'set both ADOPT_SHA256 and ADOPT_SIZE_BYTES',
      ],
    ];
    for (const [env, message] of cases) {
      expect(() => readAgentConfig('backup', { ...BASE, ...env })).toThrow(
        message,
      );
    }
  });

  it('reads secrets from _FILE variants and remembers them for redaction', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-config-'));
    try {
      fs.writeFileSync(path.join(dir, 'pw'), 's3cr3t-pw\n');
      fs.writeFileSync(path.join(dir, 'key'), 'aws-secret-value');
      const config = readAgentConfig('backup', {
        ...BASE,
        PGPASSWORD_FILE: path.join(dir, 'pw'),
        AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
        AWS_SECRET_ACCESS_KEY_FILE: path.join(dir, 'key'),
        S3_ENDPOINT: 'http://127.0.0.1:9000',
        S3_SSE: 'aws:kms',
        S3_SSE_KMS_KEY_ID: 'alias/backups',
      });
      expect(config.postgres.password).toBe('s3cr3t-pw');
      expect(config.s3.credentials).toEqual({
        accessKeyId: 'AKIAEXAMPLE',
        secretAccessKey: 'aws-secret-value',
        sessionToken: undefined,
      });
      expect(config.s3.kmsKeyId).toBe('alias/backups');
      expect(config.secrets).toEqual([
        's3cr3t-pw',
        'AKIAEXAMPLE',
        'aws-secret-value',
      ]);
      expect(() =>
        readSecret(
          { PGPASSWORD: 'a', PGPASSWORD_FILE: path.join(dir, 'pw') },
          'PGPASSWORD',
        ),
      ).toThrow('set either PGPASSWORD or PGPASSWORD_FILE, not both');
      expect(() =>
        readSecret(
          { PGPASSWORD_FILE: path.join(dir, 'missing') },
          'PGPASSWORD',
        ),
      ).toThrow(
        `PGPASSWORD_FILE: cannot read "${path.join(dir, 'missing')}" (ENOENT)`,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('resolveBackupKey', () => {
  it('accepts a file name or a full key under the prefix', () => {
    expect(
      resolveBackupKey('qawave_20260130_020000.dump', 'postgresql/daily/'),
    ).toBe('postgresql/daily/qawave_20260130_020000.dump');
    expect(
      resolveBackupKey(
        'postgresql/daily/qawave_20260130_020000.dump',
        'postgresql/daily/',
      ),
    ).toBe('postgresql/daily/qawave_20260130_020000.dump');
  });

  it('refuses traversal, sub-folders and non-dumps, naming the value', () => {
    expect(() => resolveBackupKey('../x.dump', 'postgresql/daily/')).toThrow(
      'BACKUP_FILE "../x.dump" is not valid',
    );
    expect(() => resolveBackupKey('other/x.dump', 'postgresql/daily/')).toThrow(
      'sub-folder',
    );
    expect(() => resolveBackupKey('x.sql', 'postgresql/daily/')).toThrow(
      'BACKUP_FILE "x.sql" is not a dump',
    );
  });
});
