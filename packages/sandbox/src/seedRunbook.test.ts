import { execFile } from 'child_process';
import fs from 'fs';
import path from 'path';
import { promisify } from 'util';
import { S3Client } from '@aws-sdk/client-s3';
import { Sandbox } from './Sandbox';
import { S3Sandbox } from './s3/S3Sandbox';
import { seedBucket } from './s3/seedBuckets';
import { backupAgentImage } from './pods/backupAgentImage';
import { waitFor, kubectl } from './__testUtils__/helpers';
import { psql } from './world/seedWorld';

jest.setTimeout(120_000);

const run = promisify(execFile);
const repoRoot = path.resolve(__dirname, '../../..');
const deployDir = path.join(repoRoot, 'deploy/kubernetes/postgresql-backup');
const DB = `runbook_${process.pid}`;
const NS = 'qawave';

function must(result: { code: number; stderr: string }): void {
  if (result.code !== 0) throw new Error(`kubectl failed: ${result.stderr}`);
}

async function jobDone(kubeconfig: string, name: string) {
  return waitFor(
    `job ${name} to finish`,
    async () => {
      const job = JSON.parse(
        (await kubectl(kubeconfig, 'get', 'job', name, '-n', NS, '-o', 'json'))
          .stdout,
      );
      const done = (job.status?.conditions ?? []).find(
        (c: { type: string; status: string }) =>
          ['Complete', 'Failed'].includes(c.type) && c.status === 'True',
      );
      return done ? done.type : undefined;
    },
    90_000,
  );
}

describe('the QAWave runbook against the sandbox, with the backup agent', () => {
  let sandbox: Sandbox;
  let s3: S3Sandbox;
  let kubeconfig: string;

  beforeAll(async () => {
    await psql('postgres', `DROP DATABASE IF EXISTS ${DB}`);
    await psql('postgres', `DROP DATABASE IF EXISTS ${DB}_restored`);
    await psql('postgres', `CREATE DATABASE ${DB}`);
    await psql(
      DB,
      [
        'CREATE TABLE flyway_schema_history (installed_rank int primary key, version text, description text, success boolean)',
        "INSERT INTO flyway_schema_history VALUES (1, '1', 'init', true), (2, '2', 'orders', true)",
        'CREATE TABLE customers (id int primary key, name text)',
        "INSERT INTO customers SELECT g, 'customer ' || g FROM generate_series(1, 500) g",
        'CREATE TABLE orders (id int primary key, customer_id int references customers(id), total numeric)',
        'INSERT INTO orders SELECT g, 1 + g % 500, g * 1.5 FROM generate_series(1, 3000) g',
      ].join('; '),
    );
    s3 = await S3Sandbox.start();
    await seedBucket(new S3Client(s3.clientConfig()), {
      bucket: 'qawave-backups',
      encryption: 'AES256',
      lifecycleExpirationDays: [{ prefix: 'postgresql/daily/', days: 30 }],
    });
    sandbox = await Sandbox.start({
      namespaces: [NS],
      images: [backupAgentImage(repoRoot)],
    });
    kubeconfig = sandbox.writeKubeconfig();

    const secrets = path.join(sandbox.rootDir, 'secrets.json');
    fs.writeFileSync(
      secrets,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          {
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: { name: 'postgresql-secrets', namespace: NS },
            stringData: { 'postgres-password': 'pg-secret-not-printed' },
          },
          {
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: { name: 'backup-s3-credentials', namespace: NS },
            stringData: {
              AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
              AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
              S3_ENDPOINT: s3.endpoint,
            },
          },
        ],
      }),
    );
    must(await kubectl(kubeconfig, 'apply', '--validate=false', '-f', secrets));
    must(
      await kubectl(kubeconfig, 'apply', '--validate=false', '-k', deployDir),
    );
    // The sandbox's PostgreSQL and S3 region stand in for the cluster's.
    const patch = JSON.stringify({
      data: { PGHOST: '127.0.0.1', PGDATABASE: DB, AWS_REGION: s3.region },
    });
    must(
      await kubectl(
        kubeconfig,
        'patch',
        'configmap',
        'postgresql-backup-config',
        '-n',
        NS,
        '--type',
        'merge',
        '-p',
        patch,
      ),
    );
  });

  afterAll(async () => {
    await sandbox?.stop();
    await s3?.stop();
    await psql('postgres', `DROP DATABASE IF EXISTS ${DB}`);
    await psql('postgres', `DROP DATABASE IF EXISTS ${DB}_restored`);
  });

  it('backs up with kubectl create job --from=cronjob, restores with restore-job.yaml and verifies', async () => {
    expect(
      await kubectl(
        kubeconfig,
        'create',
        'job',
        '--from=cronjob/postgresql-backup',
        'manual-backup',
        '-n',
        NS,
      ),
    ).toMatchObject({ code: 0 });
    const logs = await kubectl(
      kubeconfig,
      'logs',
      '-f',
      'job/manual-backup',
      '-n',
      NS,
    );
    expect(await jobDone(kubeconfig, 'manual-backup')).toBe('Complete');
    expect(logs.stdout).not.toContain('pg-secret-not-printed');
    expect(logs.stdout).not.toContain(s3.credentials.secretAccessKey);

    // The AWS CLI, an independent client, sees the new dump and its manifest.
    const listing = await run(
      'aws',
      [
        '--endpoint-url',
        s3.endpoint,
        's3',
        'ls',
        's3://qawave-backups/postgresql/daily/',
        '--summarize',
      ],
      {
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
          AWS_DEFAULT_REGION: s3.region,
        },
      },
    );
    const dump = new RegExp(`(${DB}_\\d{8}_\\d{6}\\.dump)\\n`).exec(
      listing.stdout,
    )?.[1];
    expect(dump).toBeDefined();
    expect(listing.stdout).toContain(`${dump}.manifest.json`);
    expect(listing.stdout).toMatch(/Total Objects: 2/);

    const restoreYaml = fs
      .readFileSync(path.join(deployDir, 'restore-job.yaml'), 'utf8')
      .replace(/qawave_20260130_020000\.dump/g, dump!)
      .replace(/value: qawave_restored/g, `value: ${DB}_restored`);
    const restoreFile = path.join(sandbox.rootDir, 'restore-job.yaml');
    fs.writeFileSync(restoreFile, restoreYaml);
    expect(
      await kubectl(
        kubeconfig,
        'apply',
        '--validate=false',
        '-n',
        NS,
        '-f',
        restoreFile,
      ),
    ).toMatchObject({ code: 0 });
    expect(await jobDone(kubeconfig, 'postgresql-restore')).toBe('Complete');
    expect(await jobDone(kubeconfig, 'postgresql-verify')).toBe('Complete');

    const pods = JSON.parse(
      (
        await kubectl(
          kubeconfig,
          'get',
          'pods',
          '-n',
          NS,
          '-l',
          'job-name=postgresql-verify',
          '-o',
          'json',
        )
      ).stdout,
    );
    const succeeded = pods.items.find(
      (p: any) => p.status.phase === 'Succeeded',
    );
    const report = JSON.parse(
      succeeded.status.containerStatuses[0].state.terminated.message,
    );
    expect(report).toMatchObject({ passed: true, database: `${DB}_restored` });
    expect(await psql(`${DB}_restored`, 'SELECT count(*) FROM orders')).toBe(
      '3000',
    );
    expect(
      await psql(
        `${DB}_restored`,
        'SELECT max(version) FROM flyway_schema_history',
      ),
    ).toBe('2');
  });
});
