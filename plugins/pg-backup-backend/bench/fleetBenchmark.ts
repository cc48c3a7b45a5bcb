/* eslint-disable no-console */
// Backend benchmark (not a test): a real Backstage backend (catalog, permissions with the
// allow-all policy, guest auth, notifications, pg-backup) over the sandbox cluster and S3 (in
// their own process, as the sandbox CLI runs them), each behind a proxy adding 20 ms per call.
// 1,000 annotated databases in 20 namespaces of each cluster entry, 400 daily backups each (with
// manifests), every database its own history. Run: bash scripts/benchmark-backend.sh
import fs from 'node:fs';
import inspector from 'node:inspector';
import os from 'node:os';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { createBackend } from '@backstage/backend-defaults';
import {
  portalAppConfig,
  putObjectsInBulk,
  seedBucket,
} from '@internal/sandbox';
import { BatchV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { Client } from 'pg';
import { stringify } from 'yaml';
import { BenchLayout, bucketOf, historyOf, prefixOf } from './benchHistories';
import {
  S3Process,
  SandboxProcess,
  ProxyStats,
  startProxyProcess,
  startSandboxProcess,
} from './sandboxProcess';

const DATABASES = Number(process.env.BENCH_DATABASES ?? 1000);
const HISTORY = Number(process.env.BENCH_HISTORY ?? 400);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 20);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);
/** Cluster entries in the Kubernetes config, all served by the one sandbox cluster. */
const CLUSTERS = Number(process.env.BENCH_CLUSTERS ?? 1);
/** Namespaces per cluster entry. */
const NAMESPACES = 20;
/**
 * Where S3 answers come from: `moto` (the sandbox's), `replayed` (moto, but a GET identical to
 * an earlier one is answered from moto's first answer), or `generated` (the histories computed
 * from their rule by bench/generatedS3Process.ts, everything else from moto).
 */
const S3_MODE =
  process.env.BENCH_S3 ??
  (process.env.BENCH_S3_REPLAY === '1' ? 'replayed' : 'moto');
/** When the scheduled refresh first runs (after start); the cold call comes well before. */
const SECOND_REFRESH_AFTER_S = Number(
  process.env.BENCH_SECOND_REFRESH_S ?? 120,
);
const PORT = Number(process.env.BENCH_PORT ?? 7107);
const BASE = `http://127.0.0.1:${PORT}`;
const LAYOUT: BenchLayout = {
  databases: DATABASES,
  history: HISTORY,
  buckets: 10,
  // BENCH_SHARED_HISTORIES=1: the databases of a bucket share one history (and its manifests)
  ownHistories: process.env.BENCH_SHARED_HISTORIES !== '1',
  newestMs: Math.floor((Date.now() - 3 * 3_600_000) / 1000) * 1000,
};
if (!['moto', 'replayed', 'generated'].includes(S3_MODE))
  throw new Error(`BENCH_S3=${S3_MODE}: expected moto, replayed or generated`);

const clusterOf = (db: number) => `bench-c${db % CLUSTERS}`;
const namespaceOf = (db: number) =>
  `bench-c${db % CLUSTERS}-${Math.floor(db / CLUSTERS) % NAMESPACES}`;

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pg-backup-backend-bench-'));
const log = (line: string) => console.log(`bench: ${line}`);
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[
    Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
  ];
};

async function seedCluster(sandbox: SandboxProcess): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromString(sandbox.kubeconfig());
  const core = kc.makeApiClient(CoreV1Api);
  for (let c = 0; c < CLUSTERS; c++)
    for (let n = 0; n < NAMESPACES; n++)
      await core.createNamespace({
        body: { metadata: { name: `bench-c${c}-${n}` } },
      });
  const batch = kc.makeApiClient(BatchV1Api);
  for (let start = 0; start < DATABASES; start += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, DATABASES - start) }, (_, k) => {
        const i = start + k;
        return batch.createNamespacedCronJob({
          namespace: namespaceOf(i),
          body: {
            metadata: { name: `db-${i}-backup` },
            spec: {
              schedule: '0 2 * * *',
              suspend: i % 97 === 0,
              jobTemplate: {
                spec: {
                  template: {
                    spec: {
                      restartPolicy: 'Never',
                      containers: [
                        {
                          name: 'agent',
                          image: 'ghcr.io/qawave/pg-backup-agent:1',
                        },
                      ],
                    },
                  },
                },
              },
            },
          },
        });
      }),
    );
  }
}

async function seedStorage(s3: S3Process): Promise<void> {
  const client = new S3Client(s3.clientConfig());
  await Promise.all(
    Array.from({ length: LAYOUT.buckets }, async (_, b) => {
      const bucket = `bench-backups-${b}`;
      await seedBucket(client, {
        bucket,
        encryption: 'AES256',
        lifecycleExpirationDays: [{ prefix: 'pg/', days: 30 }],
      });
      // the generated S3 answers the histories itself: moto holds only the buckets' settings
      if (S3_MODE === 'generated') return;
      if (!LAYOUT.ownHistories) {
        await putObjectsInBulk(s3.endpoint, bucket, historyOf(LAYOUT, b));
        return;
      }
      for (let db = b; db < DATABASES; db += LAYOUT.buckets)
        await putObjectsInBulk(s3.endpoint, bucket, historyOf(LAYOUT, db));
    }),
  );
  client.destroy();
}

function catalogYaml(): string {
  const docs = Array.from({ length: DATABASES }, (_, i) =>
    JSON.stringify({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Resource',
      metadata: {
        name: `bench-db-${i}`,
        annotations: {
          ...(CLUSTERS > 1 ? { 'pg-backup.io/cluster': clusterOf(i) } : {}),
          'pg-backup.io/namespace': namespaceOf(i),
          'pg-backup.io/backup-cronjob': `db-${i}-backup`,
          'pg-backup.io/database': 'bench',
          'pg-backup.io/bucket': bucketOf(LAYOUT, i),
          'pg-backup.io/prefix': prefixOf(LAYOUT, i),
          'pg-backup.io/rpo': '26h',
          'pg-backup.io/retention': '30d',
        },
      },
      spec: {
        type: 'database',
        owner: `group:default/team-${i % 10}`,
        system: `sys-${i % 25}`,
      },
    }),
  );
  return docs.join('\n---\n');
}

const POSTGRES = { host: '127.0.0.1', port: 5432, user: 'postgres' };
const DATABASE_PREFIX = `pgb_bench_${process.pid}_`;

/** Drops the plugin databases of this run (`pgb_bench_<pid>_<plugin>`). */
async function dropBenchDatabases(): Promise<void> {
  const client = new Client({ ...POSTGRES, database: 'postgres' });
  await client.connect();
  try {
    const { rows } = await client.query(
      'SELECT datname FROM pg_database WHERE starts_with(datname, $1)',
      [DATABASE_PREFIX],
    );
    for (const { datname } of rows)
      await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

async function startCpuProfile(file: string) {
  const session = new inspector.Session();
  session.connect();
  const post = (method: string) =>
    new Promise<any>((resolve, reject) =>
      session.post(method, (error, result) =>
        error ? reject(error) : resolve(result),
      ),
    );
  await post('Profiler.enable');
  await post('Profiler.start');
  return {
    stop: async () => {
      const { profile } = await post('Profiler.stop');
      fs.writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

async function main() {
  const { sandbox, s3 } = await startSandboxProcess(path.join(work, 'sandbox'));
  let began = Date.now();
  await seedCluster(sandbox);
  await seedStorage(s3);
  log(
    `seeded ${DATABASES} CronJobs and ${
      S3_MODE === 'generated' ? 'generated' : 'stored'
    } ${
      LAYOUT.ownHistories ? DATABASES : LAYOUT.buckets
    } histories x ${HISTORY} backups in ${((Date.now() - began) / 1000).toFixed(
      1,
    )}s`,
  );

  // The latency proxies (and the generated S3) in their own processes: this process is the
  // backend's, whose CPU and memory the figures are about.
  const k8sProxy = await startProxyProcess({
    target: sandbox.url,
    delayMs: LATENCY_MS,
    labels: 'kubernetes',
    ca: sandbox.caCertificate,
    tls: {
      key: fs.readFileSync(path.join(sandbox.rootDir, 'apiserver.key'), 'utf8'),
      cert: sandbox.caCertificate,
    },
  });
  const s3Proxy = await startProxyProcess({
    target: s3.endpoint,
    delayMs: LATENCY_MS,
    labels: 's3',
    // replayed: identical S3 GETs (with shared histories, every database of a bucket lists the
    // same keys) are answered from moto's first answer, to show the backend's own figure
    // without moto's service time (about 10 ms per list, one request at a time).
    replayGets: S3_MODE === 'replayed',
    generated: S3_MODE === 'generated' ? LAYOUT : undefined,
  });
  const portal = portalAppConfig({
    kubernetesUrl: k8sProxy.url,
    caCertificate: sandbox.caCertificate,
    token: sandbox.adminToken,
    s3Endpoint: s3Proxy.url,
    s3Region: s3.region,
    s3AccessKeyId: s3.credentials.accessKeyId,
    s3SecretAccessKey: s3.credentials.secretAccessKey,
  }) as { kubernetes: { clusterLocatorMethods: { clusters: object[] }[] } };
  // one cluster entry per BENCH_CLUSTERS, each a name for the same sandbox cluster
  const [sandboxCluster] = portal.kubernetes.clusterLocatorMethods[0].clusters;
  if (CLUSTERS > 1)
    portal.kubernetes.clusterLocatorMethods[0].clusters = Array.from(
      { length: CLUSTERS },
      (_, c) => ({ ...sandboxCluster, name: `bench-c${c}` }),
    );
  fs.writeFileSync(path.join(work, 'catalog.yaml'), catalogYaml());
  fs.writeFileSync(
    path.join(work, 'app-config.yaml'),
    stringify({
      ...portal,
      app: { baseUrl: 'http://localhost:3000' },
      backend: {
        baseUrl: BASE,
        listen: { port: PORT, host: '127.0.0.1' },
        // every plugin's database on the local PostgreSQL, as in production: the process's
        // memory and CPU are the backend's, not an in-process database's
        database: {
          client: 'pg',
          connection: POSTGRES,
          prefix: DATABASE_PREFIX,
        },
      },
      auth: { providers: { guest: { userEntityRef: 'user:default/guest' } } },
      permission: { enabled: true },
      catalog: {
        rules: [{ allow: ['Resource', 'Group', 'User', 'Location'] }],
        locations: [{ type: 'file', target: path.join(work, 'catalog.yaml') }],
      },
      pgBackup: {
        storage: { region: s3.region },
        refreshInterval: { hours: 1 },
        // the first scheduled refresh comes after the cold call, and is measured as the second
        refreshInitialDelay: { seconds: SECOND_REFRESH_AFTER_S },
      },
    }),
  );
  process.argv.push('--config', path.join(work, 'app-config.yaml'));
  const backend = createBackend();
  backend.add(import('@backstage/plugin-catalog-backend'));
  backend.add(import('@backstage/plugin-permission-backend'));
  backend.add(
    import('@backstage/plugin-permission-backend-module-allow-all-policy'),
  );
  backend.add(import('@backstage/plugin-auth-backend'));
  backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));
  backend.add(import('@backstage/plugin-notifications-backend'));
  backend.add(import('@backstage/plugin-signals-backend'));
  backend.add(import('../src'));
  const backendStarted = Date.now();
  // The benchmark's process is the backend's (with the latency proxies): its peak RSS
  let peakRss = 0;
  const rssSampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 200);
  await backend.start();

  const session = await (
    await fetch(`${BASE}/api/auth/guest/refresh`, {
      headers: { 'X-Requested-With': 'XMLHttpRequest' },
    })
  ).json();
  const headers = {
    Authorization: `Bearer ${session.backstageIdentity.token}`,
  };
  began = Date.now();
  for (;;) {
    const res = await fetch(
      `${BASE}/api/catalog/entities/by-query?filter=kind=resource&limit=1`,
      { headers },
    );
    const body = await res.json();
    if (body.totalItems >= DATABASES) break;
    if (Date.now() - began > 600_000)
      throw new Error(
        `catalog has ${body.totalItems} entities after 10 minutes`,
      );
    await new Promise(r => setTimeout(r, 500));
  }
  log(
    `catalog ingested ${DATABASES} entities in ${(
      (Date.now() - began) /
      1000
    ).toFixed(1)}s`,
  );

  const get = async (url: string) => {
    const start = performance.now();
    const res = await fetch(`${BASE}${url}`, { headers });
    const body = await res.json();
    if (!res.ok)
      throw new Error(
        `${url}: ${res.status} ${JSON.stringify(body).slice(0, 300)}`,
      );
    return { ms: performance.now() - start, body };
  };

  await k8sProxy.reset();
  await s3Proxy.reset();
  // BENCH_CPU_PROFILE=<file>: a CPU profile of the backend's process during the cold call
  const profile = process.env.BENCH_CPU_PROFILE
    ? await startCpuProfile(process.env.BENCH_CPU_PROFILE)
    : undefined;
  const cold = await get('/api/pg-backup/fleet');
  await profile?.stop();
  const coldK8s = await k8sProxy.stats();
  const coldS3 = await s3Proxy.stats();
  const coldCounts = { k8s: coldK8s.total, s3: coldS3.total };
  const serverTime = (proxy: ProxyStats) =>
    `mean ${(
      proxy.upstreamMs.reduce((a, b) => a + b, 0) /
      Math.max(1, proxy.upstreamMs.length)
    ).toFixed(1)} ms, p95 ${percentile(proxy.upstreamMs, 95)?.toFixed(
      1,
    )} ms, total ${(proxy.upstreamMs.reduce((a, b) => a + b, 0) / 1000).toFixed(
      1,
    )} s`;
  log(
    `server time behind the added latency during the cold refresh: S3 (${S3_MODE}) ${serverTime(
      coldS3,
    )}; Kubernetes (sandbox) ${serverTime(coldK8s)}`,
  );
  const byS3 = coldS3.counts;
  const byK8s = coldK8s.counts;
  log(
    `fleet cold: ${cold.ms.toFixed(0)} ms, ${
      cold.body.items.length
    } databases ${JSON.stringify(cold.body.counts)}`,
  );
  for (const status of ['warning', 'critical', 'unknown']) {
    const sample = cold.body.items.find(
      (item: { status: string }) => item.status === status,
    );
    if (sample) log(`e.g. ${sample.entityRef} (${status}): ${sample.summary}`);
  }
  log(
    `upstream calls during the cold refresh: Kubernetes ${
      coldCounts.k8s
    } ${JSON.stringify(byK8s)}, S3 ${coldCounts.s3} ${JSON.stringify(byS3)}`,
  );

  // BENCH_CPU_PROFILE_WARM=<file>: a CPU profile of the backend's process during the warm calls
  const warmProfile = process.env.BENCH_CPU_PROFILE_WARM
    ? await startCpuProfile(process.env.BENCH_CPU_PROFILE_WARM)
    : undefined;
  const fleetTimes: number[] = [];
  for (let i = 0; i < ROUNDS; i++)
    fleetTimes.push((await get('/api/pg-backup/fleet')).ms);
  await warmProfile?.stop();
  const filtered: number[] = [];
  for (let i = 0; i < ROUNDS; i++)
    filtered.push(
      (
        await get(
          `/api/pg-backup/fleet?status=critical,unknown&owner=group:default/team-${
            i % 10
          }`,
        )
      ).ms,
    );

  // A second whole-fleet refresh: the scheduled task's first run, watched through the
  // scheduler's API. Manifests already checked (same listed ETag) are not read again.
  await k8sProxy.reset();
  await s3Proxy.reset();
  const tasks = `${BASE}/api/pg-backup/.backstage/scheduler/v1/tasks`;
  const taskId = 'pg-backup-refresh-fleet-health';
  let runStartedAt: string | undefined;
  let warmRefreshMs: number | undefined;
  for (
    const deadline = backendStarted + (SECOND_REFRESH_AFTER_S + 120) * 1000;
    Date.now() < deadline;

  ) {
    const { tasks: states } = await (await fetch(tasks, { headers })).json();
    const state = states.find(
      (t: { taskId: string }) => t.taskId === taskId,
    )?.taskState;
    if (state?.status === 'running') runStartedAt ??= state.startedAt;
    if (runStartedAt && state?.status === 'idle' && state.lastRunEndedAt) {
      warmRefreshMs =
        Date.parse(state.lastRunEndedAt) - Date.parse(runStartedAt);
      break;
    }
    await new Promise(r => setTimeout(r, 20));
  }
  if (warmRefreshMs === undefined)
    throw new Error(`${taskId} did not run within 2 minutes of its due time`);
  const warmS3 = await s3Proxy.stats();
  const warmCounts = {
    k8s: (await k8sProxy.stats()).total,
    s3: warmS3.total,
    s3ByKind: warmS3.counts,
  };
  log(
    `second refresh: ${warmRefreshMs} ms, Kubernetes ${warmCounts.k8s}, S3 ${
      warmCounts.s3
    } ${JSON.stringify(warmCounts.s3ByKind)}`,
  );

  // One entity: a first uncached read after the shared caches expired, then warm reads.
  await new Promise(r => setTimeout(r, 6_000));
  await k8sProxy.reset();
  await s3Proxy.reset();
  const entity = '/api/pg-backup/entities/resource/default/bench-db-7/health';
  const first = await get(entity);
  const singleS3 = await s3Proxy.stats();
  const single = {
    k8s: (await k8sProxy.stats()).total,
    s3: singleS3.total,
    s3ByKind: singleS3.counts,
  };
  const healthTimes: number[] = [];
  for (let i = 0; i < ROUNDS; i++) healthTimes.push((await get(entity)).ms);

  clearInterval(rssSampler);
  const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MiB`;
  const table = [
    `| figure (${DATABASES} databases in ${CLUSTERS} cluster entr${
      CLUSTERS > 1 ? 'ies' : 'y'
    }, ${HISTORY} backups each, ${
      LAYOUT.ownHistories ? 'own histories' : 'shared histories'
    }, ${LATENCY_MS} ms per upstream call, S3 ${S3_MODE}) | measured | target |`,
    '| --- | --- | --- |',
    `| fleet, cold (first call; evaluates every database) | ${cold.ms.toFixed(
      0,
    )} ms | ≤ ${DATABASES > 1000 ? '10000' : '3000'} ms |`,
    `| fleet, warm p50 / p95 (${ROUNDS} calls) | ${percentile(
      fleetTimes,
      50,
    ).toFixed(1)} / ${percentile(fleetTimes, 95).toFixed(
      1,
    )} ms | p95 ≤ 150 ms |`,
    `| fleet filtered by status and owner, warm p95 | ${percentile(
      filtered,
      95,
    ).toFixed(1)} ms | |`,
    `| one entity's health, first read (caches expired) | ${first.ms.toFixed(
      0,
    )} ms | |`,
    `| one entity's health, warm p50 / p95 (${ROUNDS} calls) | ${percentile(
      healthTimes,
      50,
    ).toFixed(1)} / ${percentile(healthTimes, 95).toFixed(
      1,
    )} ms | p95 ≤ 50 ms |`,
    `| upstream calls, one entity refresh (caches expired, trusted manifests remembered) | Kubernetes ${
      single.k8s
    }, S3 ${single.s3} ${JSON.stringify(single.s3ByKind)} | bounded |`,
    `| upstream calls, whole-fleet refresh | Kubernetes ${coldCounts.k8s} (${(
      coldCounts.k8s / DATABASES
    ).toFixed(2)}/db), S3 ${coldCounts.s3} (${(
      coldCounts.s3 / DATABASES
    ).toFixed(2)}/db) | |`,
    `| backend process RSS, peak / at the end | ${mib(peakRss)} / ${mib(
      process.memoryUsage().rss,
    )} | ≤ 1 GiB |`,
    `| upstream calls, second whole-fleet refresh (${warmRefreshMs} ms) | Kubernetes ${
      warmCounts.k8s
    } (${(warmCounts.k8s / DATABASES).toFixed(2)}/db), S3 ${warmCounts.s3} (${(
      warmCounts.s3 / DATABASES
    ).toFixed(2)}/db) | |`,
  ];
  console.log(`\n${table.join('\n')}\n`);
  await backend.stop();
  await dropBenchDatabases();
  await k8sProxy.stop();
  await s3Proxy.stop();
  await s3.stop();
  await sandbox.stop();
  fs.rmSync(work, { recursive: true, force: true });
  process.exit(0);
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
