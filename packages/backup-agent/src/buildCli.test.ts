import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { S3Sandbox, seedBucket } from '@internal/sandbox';
import {
  PG,
  createSmallDatabase,
  dropDatabases,
  uniqueDatabaseName,
} from './__testUtils__/testEnvironment';

const run = promisify(execFile);
const PACKAGE_DIR = path.resolve(__dirname, '..');
const BUNDLE = ['cli.js', 'dumpReaderWorker.js'];

jest.setTimeout(60_000);

describe('scripts/build-cli.js', () => {
  let dir: string;
  let cli: string;
  const env = () => ({
    PATH: process.env.PATH,
    TERMINATION_MESSAGE_PATH: path.join(dir, 'termination-log'),
  });

  beforeAll(async () => {
    await run(process.execPath, ['scripts/build-cli.js'], { cwd: PACKAGE_DIR });
    // a directory with no node_modules anywhere above it, and no sources
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-bundle-'));
    for (const file of BUNDLE) {
      fs.copyFileSync(
        path.join(PACKAGE_DIR, 'dist', file),
        path.join(dir, file),
      );
    }
    cli = path.join(dir, 'cli.js');
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('bundles a dist/cli.js that runs on its own, without node_modules', async () => {
    const usage = await run(process.execPath, [cli], {
      cwd: dir,
      env: env(),
    }).catch(e => e);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain(
      'no command given; usage: backup-agent <backup | checkpoint | restore | verify>',
    );
    // the configuration and the S3/PostgreSQL code are in the bundle too
    const verify = await run(process.execPath, [cli, 'verify'], {
      cwd: dir,
      env: env(),
    }).catch(e => e);
    expect(verify.code).toBe(2);
    expect(verify.stderr).toContain('S3_BUCKET');
  });

  it('backs up from the bundle, pg_dump read by the bundled dumpReaderWorker.js', async () => {
    const database = uniqueDatabaseName('bundle');
    const s3 = await S3Sandbox.start();
    const client = new S3Client(s3.clientConfig());
    try {
      await seedBucket(client, { bucket: 'bundle', encryption: 'AES256' });
      await createSmallDatabase(database);
      const backup = await run(process.execPath, [cli, 'backup'], {
        cwd: dir,
        env: {
          ...env(),
          PGHOST: PG.host,
          PGPORT: String(PG.port),
          PGUSER: PG.user,
          PGDATABASE: database,
          S3_BUCKET: 'bundle',
          S3_PREFIX: 'daily/',
          S3_ENDPOINT: s3.endpoint,
          AWS_REGION: s3.region,
          AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
        },
      });
      // the agent logs to stdout, as a Job's container does
      const key = /backup: complete: s3:\/\/bundle\/(\S+\.dump) /.exec(
        backup.stdout,
      )?.[1];
      expect(key).toMatch(/^daily\/agent_bundle_\w+_\d{8}_\d{6}\.dump$/);
      const manifest = JSON.parse(
        await (
          await client.send(
            new GetObjectCommand({
              Bucket: 'bundle',
              Key: `${key}.manifest.json`,
            }),
          )
        ).Body!.transformToString(),
      );
      const dump = Buffer.from(
        await (
          await client.send(
            new GetObjectCommand({ Bucket: 'bundle', Key: key }),
          )
        ).Body!.transformToByteArray(),
      );
      expect(dump.subarray(0, 5).toString()).toBe('PGDMP');
      expect(manifest).toMatchObject({
        sizeBytes: dump.length,
        sha256: createHash('sha256').update(dump).digest('hex'),
      });
    } finally {
      client.destroy();
      await s3.stop();
      await dropDatabases([database]);
    }
  });
});
