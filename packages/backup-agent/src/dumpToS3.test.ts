import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { S3Sandbox, seedBucket } from '@internal/sandbox';
import { Client } from 'pg';
import type { AgentLog } from './AgentLog';
import {
  PG,
  createSmallDatabase,
  dropDatabases,
  uniqueDatabaseName,
} from './__testUtils__/testEnvironment';
import type { S3Config } from './config';
import { PART_SIZE, dumpToS3, nextProgressAt } from './dumpToS3';
import { pgToolEnvironment } from './postgresAccess';
import { exportSnapshot, releaseSnapshot } from './snapshot';

jest.setTimeout(30_000);

const log: AgentLog = { info: () => {}, warn: () => {}, error: () => {} };

describe('dumpToS3', () => {
  const database = uniqueDatabaseName('dump');
  let sandbox: S3Sandbox;
  let s3Client: S3Client;
  let s3: S3Config;
  let pg: Client;

  beforeAll(async () => {
    sandbox = await S3Sandbox.start();
    s3Client = new S3Client(sandbox.clientConfig());
    await seedBucket(s3Client, { bucket: 'dump-test' });
    s3 = {
      bucket: 'dump-test',
      prefix: 'p/',
      region: 'us-east-1',
      sse: 'AES256',
      endpoint: sandbox.endpoint,
    };
    await createSmallDatabase(database);
    pg = new Client({ ...PG, database });
    await pg.connect();
  });

  afterAll(async () => {
    await pg?.end();
    s3Client?.destroy();
    await sandbox?.stop();
    await dropDatabases([database]);
  });

  it('streams pg_dump into the object and returns its size and SHA-256', async () => {
    const { snapshotId } = await exportSnapshot(pg);
    const result = await dumpToS3({
      s3Client,
      s3,
      key: 'p/ok.dump',
      database,
      snapshotId,
      pgEnv: pgToolEnvironment(PG),
      compression: 1,
      signal: new AbortController().signal,
      log,
    });
    await releaseSnapshot(pg);
    const object = await s3Client.send(
      new GetObjectCommand({ Bucket: 'dump-test', Key: 'p/ok.dump' }),
    );
    const bytes = Buffer.from(await object.Body!.transformToByteArray());
    expect(object.ServerSideEncryption).toBe('AES256');
    expect(result.sizeBytes).toBe(bytes.length);
    expect(result.sha256).toBe(
      createHash('sha256').update(bytes).digest('hex'),
    );
    expect(bytes.subarray(0, 5).toString()).toBe('PGDMP');
    // Stock pg_restore reads the object after a plain download, at the level asked for.
    const listed = spawnSync('pg_restore', ['--list'], { input: bytes });
    expect(listed.status).toBe(0);
    expect(listed.stdout.toString()).toMatch(/^;\s+Compression: 1$/m);
  });

  it('never completes the object when pg_dump fails', async () => {
    await expect(
      dumpToS3({
        s3Client,
        s3,
        key: 'p/failed.dump',
        database,
        snapshotId: '00000000-00000000-1', // not an exported snapshot: pg_dump exits 1
        pgEnv: pgToolEnvironment(PG),
        compression: 1,
        signal: new AbortController().signal,
        log,
      }),
    ).rejects.toMatchObject({
      exitCode: 1,
      message: expect.stringMatching(
        /^pg_dump of "agent_dump_\w+" failed \(exit code 1\): .*snapshot/i,
      ),
    });
    const listed = await s3Client.send(
      new ListObjectsV2Command({ Bucket: 'dump-test', Prefix: 'p/failed' }),
    );
    expect(listed.Contents ?? []).toEqual([]);
    const uploads = await s3Client.send(
      new ListMultipartUploadsCommand({ Bucket: 'dump-test' }),
    );
    expect(uploads.Uploads ?? []).toEqual([]);
  });

  it('fails with the abort reason when aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('interrupted by SIGTERM'));
    const { snapshotId } = await exportSnapshot(pg);
    try {
      await expect(
        dumpToS3({
          s3Client,
          s3,
          key: 'p/aborted.dump',
          database,
          snapshotId,
          pgEnv: pgToolEnvironment(PG),
          compression: 1,
          signal: controller.signal,
          log,
        }),
      ).rejects.toThrow('interrupted by SIGTERM');
    } finally {
      await releaseSnapshot(pg);
    }
    const listed = await s3Client.send(
      new ListObjectsV2Command({ Bucket: 'dump-test', Prefix: 'p/aborted' }),
    );
    expect(listed.Contents ?? []).toEqual([]);
  });
});

describe('nextProgressAt', () => {
  it('reports at the first part, then doubles, then every GiB', () => {
    expect(nextProgressAt(0)).toBe(PART_SIZE);
    expect(nextProgressAt(PART_SIZE)).toBe(2 * PART_SIZE);
    const gib = 1024 ** 3;
    expect(nextProgressAt(5 * gib)).toBe(6 * gib);
  });
});
