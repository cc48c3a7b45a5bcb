import {
  GetObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { S3Sandbox, seedBucket } from '@internal/sandbox';
import type { AgentLog } from './AgentLog';
import {
  createSmallDatabase,
  dropDatabases,
  uniqueDatabaseName,
} from './__testUtils__/testEnvironment';
import { readAgentConfig } from './config';
import { runBackup } from './runBackup';

jest.setTimeout(30_000);

describe('runBackup', () => {
  const database = uniqueDatabaseName('runbackup');
  let sandbox: S3Sandbox;
  let s3Client: S3Client;
  const lines: string[] = [];
  const log: AgentLog = {
    info: l => lines.push(l),
    warn: l => lines.push(`warn ${l}`),
    error: l => lines.push(`error ${l}`),
  };

  beforeAll(async () => {
    sandbox = await S3Sandbox.start();
    s3Client = new S3Client(sandbox.clientConfig());
    await seedBucket(s3Client, { bucket: 'run-backup' });
    await createSmallDatabase(database);
  });

  afterAll(async () => {
    s3Client?.destroy();
    await sandbox?.stop();
    await dropDatabases([database]);
  });

  const config = () =>
    readAgentConfig('checkpoint', {
      PGHOST: '127.0.0.1',
      PGDATABASE: database,
      S3_BUCKET: 'run-backup',
      S3_PREFIX: 'postgresql/checkpoints/',
      S3_ENDPOINT: sandbox.endpoint,
    });

  it('writes the dump and then a manifest of the snapshot under the prefix', async () => {
    const at = new Date('2026-01-30T08:00:00Z');
    const manifest = await runBackup(config(), 'checkpoint', {
      s3Client,
      log,
      signal: new AbortController().signal,
      now: () => at,
    });
    const key = `postgresql/checkpoints/${database}_20260130_080000.dump`;
    expect(manifest).toMatchObject({
      kind: 'checkpoint',
      key,
      startedAt: at.toISOString(),
      tableCount: 3,
      rowCounts: { 'public.customers': 250 },
      flywayVersion: '2',
      encryption: { serverSide: 'AES256' },
    });
    expect(manifest.walSwitchLsn).toMatch(/\//);
    const listed = await s3Client.send(
      new ListObjectsV2Command({ Bucket: 'run-backup' }),
    );
    expect(listed.Contents?.map(o => o.Key)).toEqual([
      key,
      `${key}.manifest.json`,
    ]);
    const stored = await s3Client.send(
      new GetObjectCommand({
        Bucket: 'run-backup',
        Key: `${key}.manifest.json`,
      }),
    );
    expect(JSON.parse(await stored.Body!.transformToString())).toEqual(
      manifest,
    );
    expect(lines).toContain(
      `checkpoint: uploaded ${manifest.sizeBytes} bytes, sha256 ${manifest.sha256}`,
    );
  });

  it('refuses a database that does not exist', async () => {
    const missing = {
      ...config(),
      postgres: { ...config().postgres, database: 'agent_missing_db' },
    };
    await expect(
      runBackup(missing, 'backup', {
        s3Client,
        log,
        signal: new AbortController().signal,
      }),
    ).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining('"agent_missing_db" does not exist'),
    });
  });
});
