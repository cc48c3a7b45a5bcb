/* eslint-disable no-console */
// Backend benchmark (not a test): a real Backstage backend (catalog, permissions with the
// allow-all policy, guest auth, notifications, pg-backup) over the sandbox cluster and S3 (in
// their own process, as the sandbox CLI runs them), each behind a proxy adding 20 ms per call. 1,000 annotated databases in 20 namespaces, 400 daily
// backups each (with manifests). Run: bash scripts/benchmark-backend.sh
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { createBackend } from '@backstage/backend-defaults';
import { formatBackupKey } from '@pg-backup/backstage-plugin-pg-backup-common';
import { portalAppConfig, seedBucket } from '@internal/sandbox';
import { BatchV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { LatencyProxy } from './LatencyProxy';
import {
  S3Process,
  SandboxProcess,
  startSandboxProcess,
} from './sandboxProcess';

const DATABASES = Number(process.env.BENCH_DATABASES ?? 1000);
const HISTORY = Number(process.env.BENCH_HISTORY ?? 400);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 20);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);
const NAMESPACES = 20;
/** When the scheduled refresh first runs (after start); the cold call comes well before. */
const SECOND_REFRESH_AFTER_S = 120;
const BUCKETS = 10;
const PORT = Number(process.env.BENCH_PORT ?? 7107);
const DAY_MS = 86_400_000;
const BASE = `http://127.0.0.1:${PORT}`;

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
  for (let n = 0; n < NAMESPACES; n++)
    await core.createNamespace({ body: { metadata: { name: `bench-${n}` } } });
  const batch = kc.makeApiClient(BatchV1Api);
  for (let start = 0; start < DATABASES; start += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, DATABASES - start) }, (_, k) => {
        const i = start + k;
        return batch.createNamespacedCronJob({
          namespace: `bench-${i % NAMESPACES}`,
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
  const newest = Date.now() - 3 * 3_600_000;
  await Promise.all(
    Array.from({ length: BUCKETS }, (_, b) => {
      const objects = [];
      for (let day = 0; day < HISTORY; day++) {
        const at = new Date(newest - day * DAY_MS);
        const key = formatBackupKey('pg/', 'bench', at);
        const lastModified = new Date(at.getTime() + 60_000);
        objects.push({ key, body: 'x'.repeat(1000 + (day % 7)), lastModified });
        objects.push({
          key: `${key}.manifest.json`,
          body: JSON.stringify({
            formatVersion: 1,
            key,
            sha256: '0'.repeat(64),
            sizeBytes: 1000 + (day % 7),
          }),
          lastModified,
        });
      }
      return seedBucket(client, {
        bucket: `bench-backups-${b}`,
        encryption: 'AES256',
        lifecycleExpirationDays: [{ prefix: 'pg/', days: 30 }],
        objects,
      });
    }),
  );
}

function catalogYaml(): string {
  const docs = Array.from({ length: DATABASES }, (_, i) =>
    JSON.stringify({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Resource',
      metadata: {
        name: `bench-db-${i}`,
        annotations: {
          'pg-backup.io/namespace': `bench-${i % NAMESPACES}`,
          'pg-backup.io/backup-cronjob': `db-${i}-backup`,
          'pg-backup.io/database': 'bench',
          'pg-backup.io/bucket': `bench-backups-${i % BUCKETS}`,
          'pg-backup.io/prefix': 'pg/',
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

async function main() {
  const { sandbox, s3 } = await startSandboxProcess(path.join(work, 'sandbox'));
  let began = Date.now();
  await seedCluster(sandbox);
  await seedStorage(s3);
  log(
    `seeded ${DATABASES} CronJobs and ${BUCKETS} buckets x ${HISTORY} backups in ${(
      (Date.now() - began) /
      1000
    ).toFixed(1)}s`,
  );

  const k8sProxy = new LatencyProxy(
    sandbox.url,
    LATENCY_MS,
    (method, p) =>
      `${method} ${p
        .replace(/\?.*$/, '')
        .replace(/namespaces\/[^/]+/, 'namespaces/*')
        .replace(/(cronjobs|jobs|secrets|pods)\/.*$/, '$1/*')}`,
    sandbox.caCertificate,
    {
      key: fs.readFileSync(path.join(sandbox.rootDir, 'apiserver.key'), 'utf8'),
      cert: sandbox.caCertificate,
    },
  );
  const s3Proxy = new LatencyProxy(s3.endpoint, LATENCY_MS, (method, p) => {
    const query = p.includes('?')
      ? p
          .slice(p.indexOf('?') + 1)
          .split('&')[0]
          .split('=')[0]
      : '';
    return `${method} ${query || 'object'}`;
  });
  // BENCH_S3_REPLAY=1: identical S3 GETs (every database of a bucket lists the same keys here)
  // are answered from moto's first answer, to show the backend's own figure without moto's
  // service time (about 10 ms per list, one request at a time).
  s3Proxy.replayGets = process.env.BENCH_S3_REPLAY === '1';
  await k8sProxy.start();
  await s3Proxy.start();
  const portal = portalAppConfig({
    kubernetesUrl: k8sProxy.url,
    caCertificate: sandbox.caCertificate,
    token: sandbox.adminToken,
    s3Endpoint: s3Proxy.url,
    s3Region: s3.region,
    s3AccessKeyId: s3.credentials.accessKeyId,
    s3SecretAccessKey: s3.credentials.secretAccessKey,
  });
  fs.writeFileSync(path.join(work, 'catalog.yaml'), catalogYaml());
  fs.writeFileSync(
    path.join(work, 'app-config.yaml'),
    stringify({
      ...portal,
      app: { baseUrl: 'http://localhost:3000' },
      backend: {
        baseUrl: BASE,
        listen: { port: PORT, host: '127.0.0.1' },
        database: { client: 'better-sqlite3', connection: ':memory:' },
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

  k8sProxy.reset();
  s3Proxy.reset();
  const cold = await get('/api/pg-backup/fleet');
  const coldCounts = { k8s: k8sProxy.total(), s3: s3Proxy.total() };
  const serverTime = (proxy: LatencyProxy) =>
    `mean ${(
      proxy.upstreamMs.reduce((a, b) => a + b, 0) /
      Math.max(1, proxy.upstreamMs.length)
    ).toFixed(1)} ms, p95 ${percentile(proxy.upstreamMs, 95)?.toFixed(
      1,
    )} ms, total ${(proxy.upstreamMs.reduce((a, b) => a + b, 0) / 1000).toFixed(
      1,
    )} s`;
  log(
    `server time behind the added latency during the cold refresh: S3 (moto) ${serverTime(
      s3Proxy,
    )}; Kubernetes (sandbox) ${serverTime(k8sProxy)}`,
  );
  const byS3 = Object.fromEntries(s3Proxy.counts);
  const byK8s = Object.fromEntries(k8sProxy.counts);
  log(
    `fleet cold: ${cold.ms.toFixed(0)} ms, ${
      cold.body.items.length
    } databases ${JSON.stringify(cold.body.counts)}`,
  );
  const sample = cold.body.items.find(
    (i: { status: string }) => i.status === 'unknown',
  );
  if (sample) log(`e.g. ${sample.entityRef}: ${sample.summary}`);
  log(
    `upstream calls during the cold refresh: Kubernetes ${
      coldCounts.k8s
    } ${JSON.stringify(byK8s)}, S3 ${coldCounts.s3} ${JSON.stringify(byS3)}`,
  );

  const fleetTimes: number[] = [];
  for (let i = 0; i < ROUNDS; i++)
    fleetTimes.push((await get('/api/pg-backup/fleet')).ms);
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
  k8sProxy.reset();
  s3Proxy.reset();
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
  const warmCounts = {
    k8s: k8sProxy.total(),
    s3: s3Proxy.total(),
    s3ByKind: Object.fromEntries(s3Proxy.counts),
  };
  log(
    `second refresh: ${warmRefreshMs} ms, Kubernetes ${warmCounts.k8s}, S3 ${
      warmCounts.s3
    } ${JSON.stringify(warmCounts.s3ByKind)}`,
  );

  // One entity: a first uncached read after the shared caches expired, then warm reads.
  await new Promise(r => setTimeout(r, 6_000));
  k8sProxy.reset();
  s3Proxy.reset();
  const entity = '/api/pg-backup/entities/resource/default/bench-db-7/health';
  const first = await get(entity);
  const single = {
    k8s: k8sProxy.total(),
    s3: s3Proxy.total(),
    s3ByKind: Object.fromEntries(s3Proxy.counts),
  };
  const healthTimes: number[] = [];
  for (let i = 0; i < ROUNDS; i++) healthTimes.push((await get(entity)).ms);

  const table = [
    `| figure (${DATABASES} databases, ${HISTORY} backups each, ${LATENCY_MS} ms per upstream call${
      s3Proxy.replayGets ? ', identical S3 GETs replayed' : ''
    }) | measured | target |`,
    '| --- | --- | --- |',
    `| fleet, cold (first call; evaluates every database) | ${cold.ms.toFixed(
      0,
    )} ms | ≤ 3000 ms |`,
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
    `| upstream calls, second whole-fleet refresh (${warmRefreshMs} ms) | Kubernetes ${
      warmCounts.k8s
    } (${(warmCounts.k8s / DATABASES).toFixed(2)}/db), S3 ${warmCounts.s3} (${(
      warmCounts.s3 / DATABASES
    ).toFixed(2)}/db) | |`,
  ];
  console.log(`\n${table.join('\n')}\n`);
  await backend.stop();
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
