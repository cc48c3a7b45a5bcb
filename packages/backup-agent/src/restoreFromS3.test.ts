import { createHash } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { S3Sandbox, seedBucket } from '@internal/sandbox';
import type { AgentLog } from './AgentLog';
import { Client } from 'pg';
import {
  PG,
  databaseExists,
  dropDatabases,
  sql,
  uniqueDatabaseName,
} from './__testUtils__/testEnvironment';
import { readAgentConfig } from './config';
import type { BackupManifest } from './manifest';
import { RESTORE_SESSION_OPTIONS, restoreEnvironment } from './pgRestoreStream';
import { restoreFromS3 } from './restoreFromS3';
import {
  defaultTargetDatabase,
  dropAbandonedStagingDatabases,
  stagingDatabaseName,
} from './stagingDatabases';

jest.setTimeout(30_000);

const log: AgentLog = { info: () => {}, warn: () => {}, error: () => {} };

describe('defaultTargetDatabase', () => {
  it('is <db>_restore_YYYYMMDDHHMMSS in UTC', () => {
    expect(
      defaultTargetDatabase('qawave', new Date('2026-01-30T02:03:04.567Z')),
    ).toBe('qawave_restore_20260130020304');
  });
});

describe('restoreEnvironment', () => {
  it('gives pg_restore synchronous_commit=off, before the PGOPTIONS of the environment', () => {
    expect(RESTORE_SESSION_OPTIONS).toBe('-c synchronous_commit=off');
    expect(restoreEnvironment({ PGHOST: 'db' })).toEqual({
      PGHOST: 'db',
      PGOPTIONS: '-c synchronous_commit=off',
    });
    // later settings win, so the operator's own PGOPTIONS can override ours
    expect(
      restoreEnvironment({ PGOPTIONS: '-c synchronous_commit=on' }).PGOPTIONS,
    ).toBe('-c synchronous_commit=off -c synchronous_commit=on');
  });
});

describe('restoreFromS3', () => {
  let sandbox: S3Sandbox;
  let s3Client: S3Client;

  beforeAll(async () => {
    sandbox = await S3Sandbox.start();
    s3Client = new S3Client(sandbox.clientConfig());
  });

  afterAll(async () => {
    s3Client?.destroy();
    await sandbox?.stop();
  });

  it.each([
    ['parallel', 'pg_restore --list cannot read the archive'],
    ['stream', 'pg_restore cannot read the archive'],
  ])(
    'refuses an archive pg_restore cannot read even when its checksum matches, target untouched (%s)',
    async (mode, message) => {
      const key = `postgresql/daily/junk_${mode}_20260130_020000.dump`;
      const body = Buffer.from('this is not a pg_dump archive');
      const manifest: Partial<BackupManifest> = {
        formatVersion: 1,
        key,
        database: 'junk',
        sizeBytes: body.length,
        sha256: createHash('sha256').update(body).digest('hex'),
        tableCount: 0,
        rowCounts: {},
        flywayVersion: null,
      };
      await seedBucket(s3Client, {
        bucket: 'restore-test',
        objects: [
          { key, body },
          { key: `${key}.manifest.json`, body: JSON.stringify(manifest) },
        ],
      });
      const target = uniqueDatabaseName('junk');
      // left by an earlier restore whose pod was killed: dropped before this one starts
      const abandoned = stagingDatabaseName(target, '0badcafe');
      await sql(`CREATE DATABASE "${abandoned}"`);
      const config = readAgentConfig('restore', {
        PGHOST: '127.0.0.1',
        S3_BUCKET: 'restore-test',
        S3_PREFIX: 'postgresql/daily/',
        S3_ENDPOINT: sandbox.endpoint,
        BACKUP_FILE: `junk_${mode}_20260130_020000.dump`,
        TARGET_DATABASE: target,
        RESTORE_MODE: mode,
      });
      await expect(
        restoreFromS3(config, {
          s3Client,
          log,
          signal: new AbortController().signal,
        }),
      ).rejects.toMatchObject({
        exitCode: 2,
        message: expect.stringContaining(message),
      });
      expect(await databaseExists(target)).toBe(false);
      expect(await databaseExists(abandoned)).toBe(false);
    },
  );
});

describe('dropAbandonedStagingDatabases', () => {
  it('drops only the unconnected staging databases of its target', async () => {
    const target = uniqueDatabaseName('sweep');
    const abandoned = stagingDatabaseName(target, 'deadbeef');
    const inUse = stagingDatabaseName(target, '0000beef');
    const otherTarget = stagingDatabaseName(`${target}x`, 'deadbeef');
    const notStaging = `${target}__restoring_notours`;
    const all = [abandoned, inUse, otherTarget, notStaging];
    for (const name of all) await sql(`CREATE DATABASE "${name}"`);
    const restoring = new Client({ ...PG, database: inUse });
    await restoring.connect();
    const admin = new Client({ ...PG, database: 'postgres' });
    await admin.connect();
    try {
      expect(await dropAbandonedStagingDatabases(admin, target)).toEqual([
        abandoned,
      ]);
      expect(await databaseExists(abandoned)).toBe(false);
      for (const kept of [inUse, otherTarget, notStaging])
        expect(await databaseExists(kept)).toBe(true);
    } finally {
      await restoring.end();
      await admin.end();
      await dropDatabases(all);
    }
  });
});
