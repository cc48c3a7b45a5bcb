import { execFile } from 'child_process';
import { createHash } from 'crypto';
import fs from 'fs';
import path from 'path';
import { promisify } from 'util';
import { parse, parseAllDocuments } from 'yaml';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  CronSchedule,
  formatBackupKey,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import { Sandbox } from '../Sandbox';
import { S3Sandbox } from '../s3/S3Sandbox';
import { seedBucket, ObjectSeed } from '../s3/seedBuckets';
import { withArchiveTime } from './archiveTime';
import {
  TYPES,
  Obj,
  createObject,
  controllerRef,
} from '../controllers/objects';
import { KubeObject } from '../api/selectors';
import { findResourceTypeByKind } from '../api/resources';

const run = promisify(execFile);
const DAY_MS = 86_400_000;

/** One example database of the seeded world and the state it is put in. */
interface WorldDatabase {
  namespace: string;
  database: string;
  cronJob: string;
  bucket: string;
  prefix: string;
  /** Days of daily history to create. */
  days: number;
  /** Age of the newest full backup in days (0: the real one just taken). */
  newestAgeDays: number;
  lifecycleDays?: number;
  encrypted: boolean;
  /** Whether the bucket's server access logging is on (into `<bucket>-access-logs`). */
  accessLogging?: boolean;
  deployments: Record<string, number>;
  checkpoint?: { cronJob: string; prefix: string };
}

/** The seeded world: the three example databases of examples/entities.yaml. */
export const WORLD: WorldDatabase[] = [
  {
    namespace: 'qawave',
    database: 'qawave',
    cronJob: 'postgresql-backup',
    bucket: 'qawave-backups',
    prefix: 'postgresql/daily/',
    days: 35,
    newestAgeDays: 0,
    lifecycleDays: 30,
    encrypted: true,
    accessLogging: true,
    deployments: { backend: 3 },
    checkpoint: {
      cronJob: 'postgresql-wal-checkpoint',
      prefix: 'postgresql/checkpoints/',
    },
  },
  // Stale beyond its 24 h RPO and without a lifecycle rule.
  {
    namespace: 'orders',
    database: 'orders',
    cronJob: 'orders-db-backup',
    bucket: 'orders-backups',
    prefix: 'postgresql/nightly/',
    days: 14,
    newestAgeDays: 3,
    encrypted: true,
    deployments: { 'orders-api': 2, 'orders-worker': 1 },
  },
  // Fresh, but its bucket has no default encryption.
  {
    namespace: 'analytics',
    database: 'analytics',
    cronJob: 'analytics-backup',
    bucket: 'analytics-backups',
    prefix: 'pg/',
    days: 30,
    newestAgeDays: 0,
    lifecycleDays: 90,
    encrypted: false,
    deployments: { reporting: 1 },
  },
];

/** Options of {@link seedWorld}. */
export interface SeedWorldOptions {
  sandbox: Sandbox;
  s3: S3Sandbox;
  /** Repository root (for deploy/kubernetes). */
  repoRoot: string;
  /** Where the reference dumps are cached between starts. */
  cacheDir: string;
  /** Log lines go here. */
  log?: (line: string) => void;
}

/** Runs SQL with psql against the local PostgreSQL (127.0.0.1, user postgres); returns its output. */
export const psql = (db: string, sql: string) =>
  run('psql', [
    '-h',
    '127.0.0.1',
    '-U',
    'postgres',
    '-d',
    db,
    '-v',
    'ON_ERROR_STOP=1',
    '-qtAc',
    sql,
  ]).then(r => r.stdout.trim());

/**
 * Creates a database with a Flyway history and some data unless it exists. It is filled under a
 * name of its own and renamed when complete, so two sandboxes seeding at once (the portal and
 * the adopter test) never see a half-filled database and never fail on each other's CREATE.
 */
async function ensureDatabase(name: string): Promise<void> {
  const exists = async () =>
    (await psql(
      'postgres',
      `SELECT 1 FROM pg_database WHERE datname = '${name}'`,
    )) === '1';
  if (await exists()) return;
  const filling = `${name}__seeding_${process.pid}`;
  await psql('postgres', `DROP DATABASE IF EXISTS ${filling}`);
  await psql('postgres', `CREATE DATABASE ${filling}`);
  await psql(
    filling,
    [
      'CREATE TABLE flyway_schema_history (installed_rank int PRIMARY KEY, version text, description text, script text, installed_on timestamptz DEFAULT now(), success boolean NOT NULL)',
      "INSERT INTO flyway_schema_history (installed_rank, version, description, script, success) VALUES (1, '1', 'init', 'V1__init.sql', true), (2, '2', 'add runs', 'V2__add_runs.sql', true), (3, '3', 'add results', 'V3__add_results.sql', true)",
      'CREATE TABLE projects (id serial PRIMARY KEY, name text NOT NULL)',
      "INSERT INTO projects (name) SELECT 'project ' || g FROM generate_series(1, 40) g",
      'CREATE TABLE test_runs (id serial PRIMARY KEY, project_id int REFERENCES projects(id), started_at timestamptz, status text)',
      "INSERT INTO test_runs (project_id, started_at, status) SELECT 1 + g % 40, now() - g * interval '1 minute', (ARRAY['passed','failed','skipped'])[1 + g % 3] FROM generate_series(1, 20000) g",
      'CREATE TABLE test_results (id serial PRIMARY KEY, run_id int REFERENCES test_runs(id), name text, duration_ms int)',
      "INSERT INTO test_results (run_id, name, duration_ms) SELECT 1 + g % 20000, 'test ' || g, g % 997 FROM generate_series(1, 60000) g",
    ].join('; '),
  );
  try {
    await psql('postgres', `ALTER DATABASE ${filling} RENAME TO ${name}`);
  } catch (error) {
    // Another sandbox finished first: keep its database.
    await psql('postgres', `DROP DATABASE IF EXISTS ${filling}`);
    if (!(await exists())) throw error;
  }
}

/** Reads the manifests of deploy/kubernetes/postgresql-backup as kustomize would (resources list). */
function deployManifests(repoRoot: string): KubeObject[] {
  const dir = path.join(repoRoot, 'deploy/kubernetes/postgresql-backup');
  const kustomization = parse(
    fs.readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8'),
  );
  return (kustomization.resources as string[]).flatMap(file =>
    parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8')).map(
      d => d.toJS() as KubeObject,
    ),
  );
}

function upsert(sandbox: Sandbox, object: KubeObject): Obj {
  const type = findResourceTypeByKind(
    String(object.apiVersion),
    String(object.kind),
  );
  if (!type)
    throw new Error(
      `the sandbox does not serve ${object.apiVersion} ${object.kind}`,
    );
  const existing = sandbox.store.find(
    type,
    object.metadata.namespace,
    object.metadata.name,
  );
  if (existing)
    return sandbox.store.update(type, {
      ...object,
      metadata: {
        ...object.metadata,
        resourceVersion: existing.metadata.resourceVersion,
      },
    }) as Obj;
  return createObject(sandbox.store, type, structuredClone(object));
}

async function waitForJob(
  sandbox: Sandbox,
  namespace: string,
  name: string,
  timeoutMs = 120_000,
): Promise<'Complete' | 'Failed'> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const job = sandbox.store.find(TYPES.Job, namespace, name) as
      | Obj
      | undefined;
    const done = (job?.status?.conditions ?? []).find(
      (c: { type: string; status: string }) =>
        ['Complete', 'Failed'].includes(c.type) && c.status === 'True',
    );
    if (done) return done.type;
    await new Promise(r => setTimeout(r, 200));
  }
  throw new Error(
    `job ${namespace}/${name} did not finish within ${timeoutMs / 1000}s`,
  );
}

/**
 * The CronJob's scheduled times before now, newest first: the runs the seeded history
 * stands for (a CronJob with no readable schedule gets the last whole minutes instead).
 */
function previousRuns(cronJob: Obj, count: number): Date[] {
  const cron = CronSchedule.parse(
    cronJob.spec.schedule,
    cronJob.spec.timeZone ?? 'UTC',
  );
  const runs: Date[] = [];
  let before = new Date();
  while (runs.length < count) {
    const due =
      typeof cron === 'string'
        ? undefined
        : cron.previousAtOrBefore(before, 31 * 86_400_000);
    const next =
      due ?? new Date(Math.floor(before.getTime() / 60_000) * 60_000 - 60_000);
    runs.push(next);
    before = new Date(next.getTime() - 1000);
  }
  return runs;
}

/**
 * A Job made from the CronJob's template the way the CronJob controller makes it for a
 * scheduled time: named `<cronjob>-<minutes since epoch>`, with the scheduled-timestamp
 * annotation and the CronJob as its controller (not the "manual" annotation of kubectl).
 */
function jobFromCronJob(
  sandbox: Sandbox,
  namespace: string,
  cronJobName: string,
  scheduled: Date,
  envOverrides: Record<string, string> = {},
  backoffLimit?: number,
): Obj {
  const cronJob = sandbox.store.get(
    TYPES.CronJob,
    namespace,
    cronJobName,
  ) as Obj;
  const jobName = `${cronJobName}-${Math.floor(scheduled.getTime() / 60_000)}`;
  const template = structuredClone(cronJob.spec.jobTemplate);
  if (backoffLimit !== undefined) template.spec.backoffLimit = backoffLimit;
  for (const container of template.spec.template.spec.containers) {
    container.env = [
      ...(container.env ?? []).filter(
        (e: { name: string }) => !(e.name in envOverrides),
      ),
      ...Object.entries(envOverrides).map(([name, value]) => ({ name, value })),
    ];
  }
  return createObject(sandbox.store, TYPES.Job, {
    metadata: {
      name: jobName,
      namespace,
      labels: template.metadata?.labels,
      annotations: {
        ...template.metadata?.annotations,
        'batch.kubernetes.io/cronjob-scheduled-timestamp': scheduled
          .toISOString()
          .replace(/\.\d{3}Z$/, 'Z'),
      },
      ownerReferences: [controllerRef(cronJob)],
    },
    spec: template.spec,
  });
}

async function readObject(
  client: S3Client,
  bucket: string,
  key: string,
): Promise<Buffer> {
  const out = await client.send(
    new GetObjectCommand({ Bucket: bucket, Key: key }),
  );
  return Buffer.from(await out.Body!.transformToByteArray());
}

/**
 * Seeds the sandbox with the example world: databases on the local PostgreSQL, buckets with
 * their policies, the QAWave runbook's manifests per namespace, a real backup taken by the agent in a
 * sandbox Job (plus one real failed Job), and daily history made from that real dump, back-dated.
 */
export async function seedWorld(options: SeedWorldOptions): Promise<void> {
  const { sandbox, s3, repoRoot, cacheDir } = options;
  const log = options.log ?? (() => {});
  const client = new S3Client(s3.clientConfig());
  const manifests = deployManifests(repoRoot);
  fs.mkdirSync(cacheDir, { recursive: true });

  for (const world of WORLD) {
    await ensureDatabase(world.database);
    await seedBucket(client, {
      bucket: world.bucket,
      encryption: world.encrypted ? 'AES256' : undefined,
      versioning: true,
      ...(world.accessLogging && {
        accessLogging: {
          targetBucket: `${world.bucket}-access-logs`,
          targetPrefix: `${world.bucket}/`,
        },
      }),
      lifecycleExpirationDays: world.lifecycleDays
        ? [
            { prefix: world.prefix, days: world.lifecycleDays },
            ...(world.checkpoint
              ? [{ prefix: world.checkpoint.prefix, days: 7 }]
              : []),
          ]
        : undefined,
    });

    const ns = world.namespace;
    const rename = (text: string) =>
      text
        .replace(
          /postgresql-wal-checkpoint/g,
          world.checkpoint?.cronJob ?? 'unused-checkpoint',
        )
        .replace(/postgresql-backup(?!-config|-alerts)/g, world.cronJob);
    for (const manifest of manifests) {
      if (
        !world.checkpoint &&
        manifest.metadata.name === 'postgresql-wal-checkpoint'
      )
        continue;
      const object = JSON.parse(
        manifest.kind === 'CronJob'
          ? rename(JSON.stringify(manifest))
          : JSON.stringify(manifest),
      ) as Obj & {
        subjects?: Array<Record<string, string>>;
        data?: Record<string, string>;
      };
      object.metadata.namespace = ns;
      if (object.kind === 'RoleBinding')
        object.subjects = (object.subjects ?? []).map(s => ({
          ...s,
          namespace: ns,
        }));
      if (object.kind === 'ConfigMap') {
        object.data = Object.assign(object.data ?? {}, {
          PGHOST: '127.0.0.1',
          PGDATABASE: world.database,
          S3_BUCKET: world.bucket,
          S3_PREFIX: world.prefix,
          AWS_REGION: s3.region,
        });
        if (world.checkpoint)
          object.data!.S3_CHECKPOINT_PREFIX = world.checkpoint.prefix;
      }
      upsert(sandbox, object);
    }
    upsert(sandbox, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'postgresql-secrets', namespace: ns },
      stringData: { 'postgres-password': 'sandbox-postgres-password' },
    } as KubeObject);
    upsert(sandbox, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'backup-s3-credentials', namespace: ns },
      stringData: {
        AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
        S3_ENDPOINT: s3.endpoint,
      },
    } as KubeObject);
    for (const [name, replicas] of Object.entries(world.deployments)) {
      upsert(sandbox, {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: {
          name,
          namespace: ns,
          labels: { 'app.kubernetes.io/name': name },
        },
        spec: {
          replicas,
          selector: { matchLabels: { 'app.kubernetes.io/name': name } },
          template: {
            metadata: { labels: { 'app.kubernetes.io/name': name } },
            spec: { containers: [{ name, image: `qawave/${name}:1.0` }] },
          },
        },
      } as KubeObject);
    }
    upsert(sandbox, {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'postgresql', namespace: ns },
      spec: {
        replicas: 1,
        serviceName: 'postgresql',
        selector: { matchLabels: { 'app.kubernetes.io/name': 'postgresql' } },
        template: {
          metadata: { labels: { 'app.kubernetes.io/name': 'postgresql' } },
          spec: {
            containers: [
              { name: 'postgresql', image: 'bitnami/postgresql:15' },
            ],
          },
        },
      },
    } as KubeObject);

    // History: one real failed run (a bucket that does not exist), then a real successful one,
    // standing for the CronJob's last two scheduled runs.
    const [lastRun, runBefore] = previousRuns(
      sandbox.store.get(TYPES.CronJob, ns, world.cronJob) as Obj,
      2,
    );
    if (world.namespace === 'qawave') {
      const failed = jobFromCronJob(
        sandbox,
        ns,
        world.cronJob,
        runBefore,
        { S3_BUCKET: 'qawave-backups-missing' },
        0,
      );
      log(
        `world: ${ns}: ${failed.metadata.name} ${await waitForJob(
          sandbox,
          ns,
          failed.metadata.name,
        )} (expected: Failed)`,
      );
    }
    // Kubernetes times have whole seconds: start the good run in a later second than the failed
    // one ended, so which run is the last one is never a tie.
    await new Promise(r => setTimeout(r, 1000 - (Date.now() % 1000) + 10));
    const real = jobFromCronJob(sandbox, ns, world.cronJob, lastRun);
    const result = await waitForJob(sandbox, ns, real.metadata.name);
    if (result !== 'Complete')
      throw new Error(
        `world: the QAWave backup job ${ns}/${real.metadata.name} failed; see kubectl logs job/${real.metadata.name} -n ${ns}`,
      );

    const listed = await client.send(
      new ListObjectsV2Command({ Bucket: world.bucket, Prefix: world.prefix }),
    );
    const newest = (listed.Contents ?? [])
      .map(o => o.Key!)
      .filter(k => k.endsWith('.dump'))
      .sort()
      .pop();
    if (!newest)
      throw new Error(
        `world: no dump found in s3://${world.bucket}/${world.prefix} after the QAWave backup job`,
      );
    const dump = await readObject(client, world.bucket, newest);
    const manifest = JSON.parse(
      (
        await readObject(client, world.bucket, `${newest}.manifest.json`)
      ).toString('utf8'),
    );
    fs.writeFileSync(path.join(cacheDir, `${world.database}.dump`), dump);

    const objects: ObjectSeed[] = [];
    const today = new Date();
    today.setUTCHours(2, 0, 0, 0);
    // Each back-dated copy is the real dump dated to its day: its own bytes and SHA-256, and
    // its manifest describes exactly those bytes.
    const copy = (prefix: string, at: Date) => {
      const key = formatBackupKey(prefix, world.database, at);
      const finishedAt = new Date(at.getTime() + (manifest.durationMs ?? 1000));
      const body = withArchiveTime(dump, at);
      objects.push({ key, body, lastModified: finishedAt });
      objects.push({
        key: `${key}.manifest.json`,
        body: JSON.stringify({
          ...manifest,
          key,
          sha256: createHash('sha256').update(body).digest('hex'),
          startedAt: at.toISOString(),
          finishedAt: finishedAt.toISOString(),
        }),
        lastModified: finishedAt,
      });
    };
    for (
      let day = Math.max(1, world.newestAgeDays);
      day < world.days + world.newestAgeDays;
      day++
    )
      copy(world.prefix, new Date(today.getTime() - day * DAY_MS));
    if (world.newestAgeDays > 0) {
      await client.send(
        new DeleteObjectCommand({ Bucket: world.bucket, Key: newest }),
      );
      await client.send(
        new DeleteObjectCommand({
          Bucket: world.bucket,
          Key: `${newest}.manifest.json`,
        }),
      );
    }
    if (world.checkpoint) {
      const lastCheckpoint = new Date(
        Math.floor(Date.now() / (6 * 3_600_000)) * 6 * 3_600_000,
      );
      for (let i = 0; i < 4; i++)
        copy(
          world.checkpoint.prefix,
          new Date(lastCheckpoint.getTime() - i * 6 * 3_600_000),
        );
    }
    await seedBucket(client, { bucket: world.bucket, objects });
    log(
      `world: ${ns}: ${world.database} backed up by ${real.metadata.name} (${
        dump.length
      } bytes), ${objects.length / 2} back-dated copies in s3://${
        world.bucket
      }/`,
    );
  }
}
