import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { formatBackupKey } from '@pg-backup/backstage-plugin-pg-backup-common';
import {
  FaultProxy,
  S3Sandbox,
  Sandbox,
  TokenGrant,
  backupAgentImage,
  portalGrant,
  seedBucket,
} from '@internal/sandbox';
import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  V1CronJob,
  V1Job,
} from '@kubernetes/client-node';
import { Client } from 'pg';
import { parseAllDocuments } from 'yaml';
import { registerTestSecrets } from './testSecrets';
import { USERS, worldConfig } from './testWorld';

const REPO_ROOT = path.resolve(__dirname, '../../../..');
const NAMESPACE = 'shop';
/** A second namespace with the same ConfigMap and Secrets, for restores to another namespace. */
export const DR_NAMESPACE = 'shop-dr';
const BUCKET = 'shop-backups';
const PREFIX = 'postgresql/daily/';
/** The Deployments of the database entity and their replicas. */
export const DEPLOYMENTS = { backend: 3, worker: 2 };
const POSTGRES = { host: '127.0.0.1', port: 5432, user: 'postgres' };

/** Connects to a database of the local PostgreSQL 15 (trust auth for postgres on 127.0.0.1). */
export async function connect(database: string): Promise<Client> {
  const client = new Client({ ...POSTGRES, database });
  await client.connect();
  return client;
}

/** Runs SQL in a database and closes the connection. */
export async function sql<T extends Record<string, unknown>>(
  database: string,
  text: string,
): Promise<T[]> {
  const client = await connect(database);
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
}

/**
 * The world of the recovery tests: a sandbox cluster whose `shop` namespace holds the QAWave runbook's real
 * backup CronJob (deploy/kubernetes/postgresql-backup) running the real backup agent, its
 * ConfigMap and Secrets, two Deployments and the PostgreSQL StatefulSet; moto S3 with a real
 * backup taken by the agent, a corrupt copy and an incomplete one; and a database of its own
 * on the local PostgreSQL, so restores and verifications really run.
 */
export class RecoveryWorld {
  /** The database the entity names, unique to this run. */
  readonly database = `pgb_rec_${Math.random().toString(36).slice(2, 8)}`;
  readonly namespace = NAMESPACE;
  readonly entityRef = 'resource:default/shop-postgresql';
  /** The complete backup, the corrupt one (bytes differ from the manifest) and one without manifest. */
  readonly keys = { good: '', corrupt: '', incomplete: '' };
  /** When the sandbox saw each Job created and finished (ms), by name. */
  readonly jobTimes = new Map<
    string,
    { created?: number; finished?: number }
  >();
  /** Every replica count each Deployment asked for, in order (tests may reset an entry). */
  readonly replicaHistory: Record<string, number[]> = {};

  private constructor(
    readonly sandbox: Sandbox,
    readonly s3: S3Sandbox,
    readonly dir: string,
    private readonly portalToken: string,
  ) {}

  /** Starts the world; `options.tokens` are more service-account tokens the sandbox accepts. */
  static async start(
    options: { tokens?: TokenGrant[] } = {},
  ): Promise<RecoveryWorld> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pg-backup-recovery-'));
    const grant = portalGrant([
      { namespace: NAMESPACE, deployments: Object.keys(DEPLOYMENTS) },
      { namespace: DR_NAMESPACE, deployments: [] },
    ]);
    const sandbox = await Sandbox.start({
      namespaces: [NAMESPACE, DR_NAMESPACE],
      tokens: [grant, ...(options.tokens ?? [])],
      images: [backupAgentImage(REPO_ROOT)],
      jobBackoffMs: 200,
      restartDelayMs: 200,
    });
    const s3 = await S3Sandbox.start();
    registerTestSecrets({
      'sandbox-admin-token': sandbox.adminToken,
      'portal-service-account-token': grant.token,
      's3-secret-access-key': s3.credentials.secretAccessKey,
      ...Object.fromEntries(
        (options.tokens ?? []).map((t, i) => [`extra-token-${i}`, t.token]),
      ),
    });
    const world = new RecoveryWorld(sandbox, s3, dir, grant.token);
    world.recordJobsAndReplicas();
    await world.seed();
    return world;
  }

  /** Keeps `jobTimes` and `replicaHistory` from the sandbox's own events. */
  private recordJobsAndReplicas(): void {
    this.sandbox.store.subscribe(event => {
      const { kind, metadata, status, spec } = event.object as any;
      if (kind === 'Job') {
        const times = this.jobTimes.get(metadata.name) ?? {};
        if (event.type === 'ADDED') times.created ??= Date.now();
        const done = (status?.conditions ?? []).some(
          (c: any) =>
            ['Complete', 'Failed'].includes(c.type) && c.status === 'True',
        );
        if (done) times.finished ??= Date.now();
        this.jobTimes.set(metadata.name, times);
      }
      const before = (event.previous as any)?.spec?.replicas;
      if (kind === 'Deployment' && event.type === 'MODIFIED')
        if (before !== spec.replicas)
          (this.replicaHistory[metadata.name] ??= []).push(spec.replicas);
    });
  }

  /** Admin clients, standing in for an operator's kubectl. */
  admin() {
    const kc = new KubeConfig();
    kc.loadFromString(this.sandbox.kubeconfig());
    return {
      batch: kc.makeApiClient(BatchV1Api),
      apps: kc.makeApiClient(AppsV1Api),
      core: kc.makeApiClient(CoreV1Api),
    };
  }

  s3Client(): S3Client {
    return new S3Client(this.s3.clientConfig());
  }

  /** A fault-injecting proxy in front of the sandbox cluster (HTTPS, the sandbox's own certificate). */
  clusterFaultProxy(seed: number): Promise<FaultProxy> {
    return FaultProxy.start({
      target: this.sandbox.url,
      flavor: 'kubernetes',
      tls: {
        key: fs.readFileSync(
          path.join(this.sandbox.rootDir, 'apiserver.key'),
          'utf8',
        ),
        cert: this.sandbox.caCertificate,
      },
      targetCa: this.sandbox.caCertificate,
      seed,
    });
  }

  private async seed(): Promise<void> {
    await this.seedDatabase();
    await seedBucket(this.s3Client(), {
      bucket: BUCKET,
      encryption: 'AES256',
      versioning: true,
    });
    await this.seedCluster();
    this.keys.good = await this.backUp();
    await this.seedBrokenBackups();
    fs.writeFileSync(path.join(this.dir, 'entities.yaml'), this.entities());
  }

  private async seedDatabase(): Promise<void> {
    await sql('postgres', `CREATE DATABASE ${this.database}`);
    await sql(
      this.database,
      [
        'CREATE TABLE flyway_schema_history (installed_rank int PRIMARY KEY, version text, description text, script text, installed_on timestamptz DEFAULT now(), success boolean NOT NULL)',
        "INSERT INTO flyway_schema_history (installed_rank, version, description, script, success) VALUES (1, '1', 'init', 'V1__init.sql', true), (2, '2', 'orders', 'V2__orders.sql', true)",
        'CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL)',
        "INSERT INTO customers (name) SELECT 'customer ' || g FROM generate_series(1, 50) g",
        'CREATE TABLE orders (id serial PRIMARY KEY, customer_id int REFERENCES customers(id), total int)',
        'INSERT INTO orders (customer_id, total) SELECT 1 + g % 50, g FROM generate_series(1, 300) g',
      ].join('; '),
    );
  }

  private async seedCluster(): Promise<void> {
    const { batch, apps, core } = this.admin();
    const namespace = NAMESPACE;
    for (const ns of [NAMESPACE, DR_NAMESPACE]) {
      await core.createNamespacedConfigMap({
        namespace: ns,
        body: {
          metadata: { name: 'postgresql-backup-config' },
          data: {
            PGHOST: POSTGRES.host,
            PGPORT: String(POSTGRES.port),
            PGUSER: POSTGRES.user,
            PGDATABASE: this.database,
            S3_BUCKET: BUCKET,
            S3_PREFIX: PREFIX,
            AWS_REGION: this.s3.region,
            S3_SSE: 'AES256',
          },
        },
      });
      await core.createNamespacedSecret({
        namespace: ns,
        body: {
          metadata: { name: 'backup-s3-credentials' },
          stringData: {
            AWS_ACCESS_KEY_ID: this.s3.credentials.accessKeyId,
            AWS_SECRET_ACCESS_KEY: this.s3.credentials.secretAccessKey,
            S3_ENDPOINT: this.s3.endpoint,
          },
        },
      });
      await core.createNamespacedSecret({
        namespace: ns,
        body: {
          metadata: { name: 'postgresql-secrets' },
          stringData: { 'postgres-password': 'unused-with-trust-auth' },
        },
      });
    }
    // The QAWave runbook's own CronJob, as deploy/kubernetes applies it (suspended: the tests start Jobs).
    const cronJob = parseAllDocuments(
      fs.readFileSync(
        path.join(
          REPO_ROOT,
          'deploy/kubernetes/postgresql-backup/backup-cronjob.yaml',
        ),
        'utf8',
      ),
    )
      .map(d => d.toJS() as V1CronJob)
      .find(d => d?.metadata?.name === 'postgresql-backup')!;
    cronJob.spec!.suspend = true;
    await batch.createNamespacedCronJob({ namespace, body: cronJob });
    for (const [name, replicas] of Object.entries(DEPLOYMENTS)) {
      const labels = { 'app.kubernetes.io/name': name };
      await apps.createNamespacedDeployment({
        namespace,
        body: {
          metadata: { name, labels },
          spec: {
            replicas,
            selector: { matchLabels: labels },
            template: {
              metadata: { labels },
              spec: { containers: [{ name, image: `shop/${name}:1.0` }] },
            },
          },
        },
      });
    }
    const labels = { 'app.kubernetes.io/name': 'postgresql' };
    await apps.createNamespacedStatefulSet({
      namespace,
      body: {
        metadata: { name: 'postgresql', labels },
        spec: {
          replicas: 1,
          serviceName: 'postgresql',
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              containers: [
                { name: 'postgresql', image: 'bitnami/postgresql:15' },
              ],
            },
          },
        },
      },
    });
  }

  /** Runs a Job and waits until it finishes; returns whether it succeeded. */
  async runJob(job: V1Job, timeoutMs = 60_000): Promise<boolean> {
    const { batch } = this.admin();
    const name = job.metadata!.name!;
    await batch.createNamespacedJob({ namespace: NAMESPACE, body: job });
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const current = await batch.readNamespacedJob({
        namespace: NAMESPACE,
        name,
      });
      const done = current.status?.conditions?.find(
        c => ['Complete', 'Failed'].includes(c.type) && c.status === 'True',
      );
      if (done) return done.type === 'Complete';
      await new Promise(r => setTimeout(r, 200));
    }
    throw new Error(`job ${name} did not finish within ${timeoutMs} ms`);
  }

  /** Takes a real backup with the agent (a Job from the CronJob); returns its key. */
  async backUp(): Promise<string> {
    const { batch } = this.admin();
    const cronJob = await batch.readNamespacedCronJob({
      namespace: NAMESPACE,
      name: 'postgresql-backup',
    });
    const name = `seed-backup-${Date.now().toString(36)}`;
    const ok = await this.runJob({
      metadata: { name, namespace: NAMESPACE },
      spec: cronJob.spec!.jobTemplate.spec,
    });
    if (!ok) throw new Error(`the QAWave backup job ${name} failed`);
    const keys = await this.listKeys();
    return keys
      .filter(k => k.endsWith('.dump'))
      .sort()
      .pop()!;
  }

  /** Every key under the prefix. */
  async listKeys(): Promise<string[]> {
    const listed = await this.s3Client().send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: PREFIX }),
    );
    return (listed.Contents ?? []).map(o => o.Key!);
  }

  /** The bytes of an object in the bucket. */
  async read(key: string): Promise<Buffer> {
    const out = await this.s3Client().send(
      new GetObjectCommand({ Bucket: BUCKET, Key: key }),
    );
    return Buffer.from(await out.Body!.transformToByteArray());
  }

  /** The manifest the agent wrote for a backup. */
  async manifest(
    key: string,
  ): Promise<{ rowCounts: Record<string, number>; tableCount: number }> {
    return JSON.parse((await this.read(`${key}.manifest.json`)).toString());
  }

  /** One hour before the good backup: the same manifest over corrupted bytes; two hours before: no manifest. */
  private async seedBrokenBackups(): Promise<void> {
    const client = this.s3Client();
    const takenAt = Date.now() - 3_600_000;
    this.keys.corrupt = formatBackupKey(
      PREFIX,
      this.database,
      new Date(takenAt),
    );
    this.keys.incomplete = formatBackupKey(
      PREFIX,
      this.database,
      new Date(takenAt - 3_600_000),
    );
    const dump = await this.read(this.keys.good);
    const corrupt = Buffer.from(dump);
    for (let i = Math.floor(dump.length / 3); i < dump.length - 16; i += 7)
      corrupt[i] ^= 0x5a;
    await client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: this.keys.corrupt,
        Body: corrupt,
      }),
    );
    // A valid manifest for this key, whose size and SHA-256 the bytes no longer match: the
    // agent finds out while it restores.
    const manifest = JSON.parse(
      (await this.read(`${this.keys.good}.manifest.json`)).toString(),
    );
    await client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: `${this.keys.corrupt}.manifest.json`,
        Body: JSON.stringify({ ...manifest, key: this.keys.corrupt }),
      }),
    );
    await client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: this.keys.incomplete,
        Body: dump,
      }),
    );
  }

  /** Exact row counts of every user table of a database, as `schema.table`. */
  async rowCounts(database: string): Promise<Record<string, number>> {
    const client = await connect(database);
    try {
      const tables = (
        await client.query(
          "SELECT schemaname || '.' || relname AS name FROM pg_stat_user_tables ORDER BY 1",
        )
      ).rows.map(r => r.name as string);
      const counts: Record<string, number> = {};
      for (const table of tables) {
        const [schema, name] = table.split('.');
        const result = await client.query(
          `SELECT count(*)::int AS n FROM "${schema}"."${name}"`,
        );
        counts[table] = result.rows[0].n;
      }
      return counts;
    } finally {
      await client.end();
    }
  }

  /** Databases of this run whose name starts with `prefix` (default: all of them). */
  async databases(prefix = this.database): Promise<string[]> {
    return (
      await sql<{ datname: string }>(
        'postgres',
        `SELECT datname FROM pg_database WHERE datname LIKE '${prefix}%' ORDER BY 1`,
      )
    ).map(r => r.datname);
  }

  /** The replicas each Deployment asks for, read with the admin client. */
  async replicas(): Promise<Record<string, number>> {
    const { apps } = this.admin();
    const result: Record<string, number> = {};
    for (const name of Object.keys(DEPLOYMENTS))
      result[name] =
        (await apps.readNamespacedDeployment({ namespace: NAMESPACE, name }))
          .spec?.replicas ?? -1;
    return result;
  }

  /** The Jobs of an operation (or of every operation), read with the admin client. */
  async operationJobs(operationId?: string): Promise<V1Job[]> {
    const { batch } = this.admin();
    return (
      await batch.listNamespacedJob({
        namespace: NAMESPACE,
        labelSelector: operationId
          ? `pg-backup.io/operation=${operationId}`
          : 'pg-backup.io/operation',
      })
    ).items;
  }

  private entities(): string {
    const docs = [
      {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Resource',
        metadata: {
          name: 'shop-postgresql',
          annotations: {
            'pg-backup.io/namespace': NAMESPACE,
            'pg-backup.io/backup-cronjob': 'postgresql-backup',
            'pg-backup.io/database': this.database,
            'pg-backup.io/bucket': BUCKET,
            'pg-backup.io/prefix': PREFIX,
            'pg-backup.io/deployments': Object.keys(DEPLOYMENTS).join(','),
            'pg-backup.io/rto': '1h',
          },
        },
        spec: { type: 'database', owner: USERS.owner, system: 'shop' },
      },
      ...Object.values(USERS).map(ref => ({
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'User',
        metadata: { name: ref.split('/')[1] },
        spec: { memberOf: [] },
      })),
    ];
    return docs.map(d => JSON.stringify(d)).join('\n---\n');
  }

  /** Backend configuration: the catalog file, the sandbox cluster and S3, pg-backup settings. */
  config(pgBackup: Record<string, unknown> = {}): Record<string, unknown> {
    return worldConfig(
      {
        dir: this.dir,
        sandbox: this.sandbox,
        s3: this.s3,
        portalToken: this.portalToken,
      },
      pgBackup,
    );
  }

  async stop(): Promise<void> {
    for (const database of await this.databases().catch(() => []))
      await sql(
        'postgres',
        `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`,
      );
    await this.s3.stop();
    await this.sandbox.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
