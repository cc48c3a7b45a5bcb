import {
  GetObjectCommand,
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
import { readAgentConfig } from './config';
import type { DumpToS3Options } from './dumpToS3';
import { dumpWithFacts, runBackup } from './runBackup';
import { beginExportedSnapshot, releaseSnapshot } from './snapshot';

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

  describe('dumpWithFacts', () => {
    const clients: Client[] = [];
    const connect = async () => {
      const c = new Client({ ...PG, database });
      await c.connect();
      clients.push(c);
      return c;
    };
    afterEach(async () => {
      await Promise.all(clients.splice(0).map(c => c.end().catch(() => {})));
    });
    const options = (signal: AbortSignal) =>
      ({ signal } as unknown as DumpToS3Options);
    /** Resolves once a query of `database` waits for a lock (polled on its own connection). */
    const countWaitsForLock = async () => {
      const watcher = await connect();
      for (let i = 0; i < 2000; i++) {
        const waiting = await watcher.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'",
          [database],
        );
        if (waiting.rows[0].n > 0) return;
        await new Promise(r => setTimeout(r, 5));
      }
      throw new Error('no query waited for the lock');
    };
    /** Holds an exclusive lock on customers, so counting it waits. */
    const lockCustomers = async () => {
      const locker = await connect();
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE customers IN ACCESS EXCLUSIVE MODE');
      return () => locker.query('ROLLBACK');
    };

    it('counts in the snapshot while the dump runs', async () => {
      const [client, factsClient] = [await connect(), await connect()];
      const snapshotId = await beginExportedSnapshot(client);
      const unlock = await lockCustomers();
      const done = await dumpWithFacts(
        snapshotId,
        client,
        factsClient,
        async () => {
          // the dump is running while the facts connection counts (here: waits to count)
          await countWaitsForLock();
          await unlock();
          return { sizeBytes: 1, sha256: 'x' };
        },
        options(new AbortController().signal),
      );
      await releaseSnapshot(client);
      expect(done.result).toEqual({ sizeBytes: 1, sha256: 'x' });
      expect(done.facts.rowCounts['public.customers']).toBe(250);
      expect(done.facts.tables).toHaveLength(3);
    });

    it('stops the dump when the facts cannot be read, and throws that error', async () => {
      const [client, factsClient] = [await connect(), await connect()];
      let dumpSignal: AbortSignal | undefined;
      await expect(
        dumpWithFacts(
          '00000000-00000000-1', // never exported: SET TRANSACTION SNAPSHOT fails
          client,
          factsClient,
          ({ signal }) =>
            new Promise((_resolve, reject) => {
              dumpSignal = signal;
              signal.addEventListener('abort', () =>
                reject(new Error('dump aborted')),
              );
            }),
          options(new AbortController().signal),
        ),
      ).rejects.toThrow(/snapshot/i);
      expect(dumpSignal?.aborted).toBe(true);
    });

    it('cancels a running count when the dump fails, and throws the dump error', async () => {
      const [client, factsClient] = [await connect(), await connect()];
      const snapshotId = await beginExportedSnapshot(client);
      // the count of customers waits for this lock until it is cancelled
      const unlock = await lockCustomers();
      const started = Date.now();
      try {
        await expect(
          dumpWithFacts(
            snapshotId,
            client,
            factsClient,
            async () => {
              await countWaitsForLock();
              throw new Error('pg_dump failed');
            },
            options(new AbortController().signal),
          ),
        ).rejects.toThrow('pg_dump failed');
        // returned without the lock being released: the count was cancelled
        expect(Date.now() - started).toBeLessThan(10_000);
      } finally {
        await unlock();
        await releaseSnapshot(client).catch(() => {});
      }
    });
  });
});
