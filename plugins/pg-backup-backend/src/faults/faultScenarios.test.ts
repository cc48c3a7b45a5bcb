import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { JsonObject } from '@backstage/types';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import permissionPlugin from '@backstage/plugin-permission-backend';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { FaultProxy } from '@internal/sandbox';
import request from 'supertest';
import { pgBackupPlugin } from '../plugin';
import {
  USERS,
  recordingNotifications,
  testPolicyModule,
} from '../__testUtils__/testWorld';
import { DEPLOYMENTS, RecoveryWorld } from '../__testUtils__/recoveryWorld';
import {
  FaultScenario,
  HARMFUL,
  describeScenario,
  makeScenario,
  seeded,
} from '../__testUtils__/faultScenarios';
import { manualScheduler, waitForCatalog } from '../__testUtils__/testBackend';

const SCENARIOS = Number(
  process.env.PG_BACKUP_FAULT_SCENARIOS ??
    (process.env.PG_BACKUP_SOAK === '1' ? 2000 : 200),
);
const SEED = Number(process.env.PG_BACKUP_FAULT_SEED ?? Date.now() % 1e9);
const SHOP = '/api/pg-backup/entities/resource/default/shop-postgresql';
/** Longest a scenario may take: a restore cancelled after its faults cleared ends well within. */
const SCENARIO_LIMIT_MS = 60_000;
const TERMINAL = ['succeeded', 'failed', 'cancelled'];
/** A degraded answer names its upstream: the cluster (with the namespace) or S3 (with the bucket). */
const NAMES_UPSTREAM = /cluster sandbox.*\bshop\b|S3 .*shop-backups/s;
const as = (user: string) => mockCredentials.user.header(user);
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** Fails with the scenario when `value` is not one of `allowed`. */
function expectOneOf<T>(what: string, value: T, allowed: T[]) {
  expect({ what, value, allowed: allowed.includes(value) }).toEqual({
    what,
    value,
    allowed: true,
  });
}

jest.setTimeout(SCENARIOS * 3_000 + 120_000);

type Health = {
  status: string;
  findings: Array<{ code: string; subject?: string; message: string }>;
};

/** What must match between two answers for the same world: status and finding codes. */
const shape = (status: string, codes: string[]) =>
  `${status}: ${[...codes].sort().join(',')}`;

/**
 * The shape of an answer to compare with the fault-free `before`. While a backup Job runs, its
 * agent uploads the dump before the manifest, so for a moment in between the newest dump is
 * rightly incomplete (the world changed and changed back): that one finding may differ, in health
 * and fleet answers alike (CI flakes: seed 662427368 #96 health, seed 668124915 #149 fleet).
 */
const settledShape = (status: string, codes: string[], before: string) => {
  const inFlight =
    codes.includes('job-running') &&
    codes.includes('backup-incomplete') &&
    !before.includes('backup-incomplete');
  return shape(
    status,
    inFlight ? codes.filter(c => c !== 'backup-incomplete') : codes,
  );
};

describe(`fault scenarios over health, fleet, trigger, restore and drill (seed ${SEED}, ${SCENARIOS} scenarios)`, () => {
  let world: RecoveryWorld;
  let k8s: FaultProxy;
  let s3: FaultProxy;
  let backend: Awaited<ReturnType<typeof startTestBackend>>;
  let server: any;
  const scheduler = manualScheduler();
  const secrets: string[] = [];

  beforeAll(async () => {
    world = await RecoveryWorld.start();
    k8s = await world.clusterFaultProxy(SEED);
    s3 = await FaultProxy.start({
      target: world.s3.endpoint,
      flavor: 's3',
      seed: SEED + 1,
    });
    const config = world.config({
      cache: {
        healthTtl: { milliseconds: 0 },
        clusterListTtl: { milliseconds: 0 },
        bucketSettingsTtl: { milliseconds: 0 },
      },
      // Short enough that hanging calls keep the suite quick, long enough that a call to the
      // sandbox on a loaded two-core CI machine is not cut off by it (500 ms was: a CI run saw
      // moto's list and encryption reads time out with no fault on them).
      upstreamTimeout: { milliseconds: 1_500 },
      recovery: {
        pollInterval: { milliseconds: 100 },
        leaseTimeout: { seconds: 10 },
        scaleDownTimeout: { seconds: 20 },
      },
    }) as any;
    const cluster = config.kubernetes.clusterLocatorMethods[0].clusters[0];
    cluster.url = k8s.url;
    const s3Integration = config.integrations.awsS3[0];
    s3Integration.endpoint = s3.url;
    s3Integration.host = new URL(s3.url).host;
    secrets.push(
      cluster.serviceAccountToken,
      s3Integration.secretAccessKey,
      world.s3.credentials.secretAccessKey,
    );
    backend = await startTestBackend({
      features: [
        pgBackupPlugin,
        catalogPlugin,
        permissionPlugin,
        testPolicyModule,
        mockServices.rootConfig.factory({ data: config as JsonObject }),
        scheduler.factory({ skipTaskRunOnStartup: true }),
        recordingNotifications().factory,
      ],
    });
    server = backend.server;
    await waitForCatalog(server, `${SHOP}/health`);
  });

  afterAll(async () => {
    await backend?.stop();
    await k8s?.stop();
    await s3?.stop();
    await world?.stop();
  });

  const clearFaults = () => {
    k8s.clear();
    s3.clear();
  };

  /** Applies a scenario's rules, with the generator seeded for this scenario. */
  function applyFaults(s: FaultScenario, seed: number): void {
    k8s.clearLog();
    s3.clearLog();
    k8s.setRules(s.kubernetes, seed);
    s3.setRules(s.s3, seed + 1);
  }

  /** Schedules the cluster's disappearance (and return) relative to now. */
  function scheduleDisappearance(s: FaultScenario): () => void {
    if (s.disappearAfterMs === undefined) return () => undefined;
    const gone = setTimeout(() => k8s.disappear(), s.disappearAfterMs);
    const back = setTimeout(
      () => k8s.reappear(),
      s.disappearAfterMs + s.goneForMs,
    );
    return () => {
      clearTimeout(gone);
      clearTimeout(back);
      k8s.reappear();
    };
  }

  /** True when a request got a fault that keeps a fact from being read. */
  const harmed = () =>
    [...k8s.log, ...s3.log].some(r => r.fault && HARMFUL.includes(r.fault));

  /** (b) No answer leaks a stack trace, internal details or a secret. */
  function expectClean(body: unknown, what: string) {
    const text = JSON.stringify(body ?? '');
    const leak = /\s+at \S+ \(|node_modules|"stack"/.exec(text);
    expect({
      what,
      // What leaked, with some context, so that a failure shows it.
      stack: leak
        ? text.slice(Math.max(0, leak.index - 300), leak.index + 300)
        : false,
    }).toEqual({
      what,
      stack: false,
    });
    for (const secret of secrets)
      expect({ what, leaks: secret && text.includes(secret) }).toEqual({
        what,
        leaks: false,
      });
  }

  /** (b, c) A 5xx is a clean 503 naming the failing upstream. */
  function expectCleanError(res: request.Response, what: string) {
    expectClean(res.body, what);
    if (res.status >= 500) {
      expect({ what, status: res.status }).toEqual({ what, status: 503 });
      expect({ what, message: res.body?.error?.message }).toEqual({
        what,
        message: expect.stringMatching(NAMES_UPSTREAM),
      });
    }
  }

  const health = () =>
    request(server)
      .get(`${SHOP}/health`)
      .set('Authorization', as(USERS.owner))
      .timeout(30_000);

  async function fleetEntry() {
    await scheduler.triggerTask('pg-backup-refresh-fleet-health');
    const res = await request(server)
      .get('/api/pg-backup/fleet')
      .set('Authorization', as(USERS.owner))
      .timeout(30_000);
    return { res, entry: res.body.items?.[0] };
  }

  /** (a, c) A health answer under faults: equal to the fault-free one, or degraded and saying why. */
  function checkHealth(
    what: string,
    h: Health,
    partial: boolean,
    before: string,
    after: string,
  ) {
    const unavailable = h.findings.filter(f => f.code === 'fact-unavailable');
    expect({ what, partial }).toEqual({
      what,
      partial: unavailable.length > 0,
    });
    if (unavailable.length > 0) {
      expect({ what, status: h.status }).toEqual({
        what,
        status: expect.stringMatching(/^(unknown|critical)$/),
      });
      for (const f of unavailable)
        expect({ what, message: f.message }).toEqual({
          what,
          message: expect.stringMatching(NAMES_UPSTREAM),
        });
    } else if (before === after) {
      // Every fact was read: the answer is the fault-free one.
      expect({
        what,
        answer: settledShape(
          h.status,
          h.findings.map(f => f.code),
          before,
        ),
      }).toEqual({
        what,
        answer: before,
      });
    }
    if (!harmed() && before === after)
      expect({ what, degradedWithoutFault: unavailable.length }).toEqual({
        what,
        degradedWithoutFault: 0,
      });
  }

  const healthShape = (body: any) =>
    shape(
      body.health.status,
      body.health.findings.map((f: { code: string }) => f.code),
    );

  /**
   * The last fault-free answer (health and fleet evaluate alike), reused for a moment to keep
   * the suite fast; triggers and operations change the world, so they forget it.
   */
  let faultFree: { shape: string; at: number } | undefined;
  const remember = (answer: string) => {
    faultFree = { shape: answer, at: Date.now() };
    return answer;
  };
  const recent = () =>
    faultFree && Date.now() - faultFree.at < 1_500
      ? faultFree.shape
      : undefined;

  async function healthScenario(s: FaultScenario, what: string) {
    const before = recent() ?? remember(healthShape((await health()).body));
    applyFaults(s, SEED + s.index);
    const undo = scheduleDisappearance(s);
    const res = await health();
    undo();
    clearFaults();
    expectClean(res.body, what);
    expect({ what, status: res.status }).toEqual({ what, status: 200 });
    // The fault-free answer again, only when needed to tell a fault from a changed world.
    const after =
      !res.body.partial && healthShape(res.body) !== before
        ? remember(healthShape((await health()).body))
        : before;
    checkHealth(what, res.body.health, res.body.partial, before, after);
  }

  async function fleetScenario(s: FaultScenario, what: string) {
    let before = recent();
    if (!before) {
      const b = (await fleetEntry()).entry;
      before = remember(shape(b.status, b.findingCodes));
    }
    applyFaults(s, SEED + s.index);
    const undo = scheduleDisappearance(s);
    const { res, entry } = await fleetEntry();
    undo();
    clearFaults();
    let after = before;
    if (
      !entry.findingCodes.includes('fact-unavailable') &&
      shape(entry.status, entry.findingCodes) !== before
    ) {
      const a = (await fleetEntry()).entry;
      after = remember(shape(a.status, a.findingCodes));
    }
    expectClean(res.body, what);
    expect({ what, status: res.status }).toEqual({ what, status: 200 });
    const degraded = entry.findingCodes.includes('fact-unavailable');
    if (degraded) {
      expect({ what, status: entry.status }).toEqual({
        what,
        status: expect.stringMatching(/^(unknown|critical)$/),
      });
      if (entry.status === 'unknown')
        expect({ what, summary: entry.summary }).toEqual({
          what,
          summary: expect.stringMatching(NAMES_UPSTREAM),
        });
    } else if (before === after) {
      expect({
        what,
        answer: settledShape(entry.status, entry.findingCodes, before),
      }).toEqual({
        what,
        answer: before,
      });
    }
  }

  async function triggerScenario(s: FaultScenario, what: string) {
    faultFree = undefined;
    applyFaults(s, SEED + s.index);
    const undo = scheduleDisappearance(s);
    const res = await request(server)
      .post(`${SHOP}/backups`)
      .set('Authorization', as(USERS.owner))
      .timeout(30_000);
    undo();
    clearFaults();
    expectCleanError(res, what);
    expectOneOf(what, res.status, [202, 409, 503]);
    if (res.status === 202) {
      // (a) A started backup is a Job that exists.
      const job = await world
        .admin()
        .batch.readNamespacedJob({ namespace: 'shop', name: res.body.job })
        .catch(() => undefined);
      expect({ what, created: job?.metadata?.name }).toEqual({
        what,
        created: res.body.job,
      });
    }
  }

  /** The lock is free: a dry run of a verification reports no running operation. */
  async function expectUnlocked(what: string) {
    const plan = await request(server)
      .post(`${SHOP}/operations`)
      .set('Authorization', as(USERS.owner))
      .send({ kind: 'verify', dryRun: true });
    expect({ what, status: plan.status }).toEqual({ what, status: 200 });
    expect({ what, problems: plan.body.problems }).toEqual({
      what,
      problems: [],
    });
  }

  async function approval(): Promise<string> {
    const created = await request(server)
      .post(`${SHOP}/approvals`)
      .set('Authorization', as(USERS.owner))
      .send({ kind: 'emergency', reason: 'fault scenario' });
    expect(created.status).toBe(201);
    const decided = await request(server)
      .post(`/api/pg-backup/approvals/${created.body.id}/decision`)
      .set('Authorization', as(USERS.other))
      .send({ decision: 'approve' });
    expect(decided.status).toBe(200);
    return created.body.id;
  }

  /**
   * The run's databases but the agent's own staging databases (`<target>__restoring_<suffix>`):
   * a restore Job stopped by a cancellation may leave one (the agent's to drop, see
   * docs/reliability.md), while the scratch database the drill's cleanup step owns must be gone.
   */
  const scratchless = async () =>
    (await world.databases()).filter(name => !name.includes('__restoring_'));

  async function operationScenario(s: FaultScenario, what: string) {
    faultFree = undefined;
    const body: Record<string, unknown> = { kind: s.route };
    if (s.route === 'emergency') {
      body.approvalId = await approval();
      body.confirmation = world.database;
    }
    const databases = await scratchless();
    applyFaults(s, SEED + s.index);
    const res = await request(server)
      .post(`${SHOP}/operations`)
      .set('Authorization', as(USERS.owner))
      .send(body)
      .timeout(30_000);
    // The cluster disappears while the operation runs.
    const undo = scheduleDisappearance(s);
    expectCleanError(res, what);
    expectOneOf(what, res.status, [202, 400, 403, 503]);
    if (res.status === 400 || res.status === 403)
      expect({ what, message: res.body.error.message }).toEqual({
        what,
        message: expect.stringMatching(NAMES_UPSTREAM),
      });
    if (res.status === 202) {
      await sleep(s.faultWindowMs);
      await sleep(
        Math.max(0, (s.disappearAfterMs ?? 0) + s.goneForMs - s.faultWindowMs),
      );
      undo();
      clearFaults();
      const id = res.body.id;
      await request(server)
        .post(`/api/pg-backup/operations/${id}/cancel`)
        .set('Authorization', as(USERS.owner));
      let op: any;
      const until = Date.now() + 90_000;
      do {
        await sleep(100);
        op = (
          await request(server)
            .get(`/api/pg-backup/operations/${id}`)
            .set('Authorization', as(USERS.owner))
        ).body;
      } while (!TERMINAL.includes(op.state) && Date.now() < until);
      expectClean(op, what);
      expectOneOf(what, op.state, TERMINAL);
      if (process.env.PG_BACKUP_FAULT_VERBOSE)
        process.stderr.write(`  ${op.state}: ${op.error ?? ''}\n`);
      // (c) A failure says what failed: an upstream, a Job or the checks.
      if (op.state === 'failed')
        expect({ what, error: op.error }).toEqual({
          what,
          error: expect.stringMatching(
            /cluster sandbox|S3 |job \S+ failed|verification failed|PostgreSQL is not running/,
          ),
        });
      // (d) Deployments end at their recorded counts.
      expect({ what, replicas: await world.replicas() }).toEqual({
        what,
        replicas: DEPLOYMENTS,
      });
      // (d) An ended operation leaves no Job of its own running unstopped (an emergency's
      // restore Job writing into the live database after the application was scaled back up);
      // a stopped Job (deadline 1 s) may still be on its way out...
      const running = (await world.operationJobs(id))
        .filter(
          job =>
            job.spec?.activeDeadlineSeconds !== 1 &&
            !job.status?.conditions?.some(
              c =>
                ['Complete', 'Failed'].includes(c.type) && c.status === 'True',
            ),
        )
        .map(job => job.metadata?.name);
      expect({ what, running }).toEqual({ what, running: [] });
      // ...and a drill leaves no scratch database behind.
      if (s.route === 'drill')
        expect({ what, databases: await scratchless() }).toEqual({
          what,
          databases,
        });
    } else {
      undo();
      clearFaults();
    }
    // (d) The lock is released once the fault cleared.
    await expectUnlocked(what);
  }

  it('keeps every invariant in every scenario', async () => {
    const started = Date.now();
    const random = seeded(SEED);
    const counts: Record<string, number> = {};
    let faulted = 0;
    // eslint-disable-next-line no-console
    console.log(
      `fault scenarios: seed ${SEED} (replay with PG_BACKUP_FAULT_SEED=${SEED}), ${SCENARIOS} scenarios`,
    );
    for (let i = 0; i < SCENARIOS; i++) {
      const s = makeScenario(i, random);
      const what = `seed ${SEED} ${describeScenario(s)}`;
      counts[s.route] = (counts[s.route] ?? 0) + 1;
      const began = Date.now();
      if (process.env.PG_BACKUP_FAULT_VERBOSE)
        process.stderr.write(`${what}\n`);
      let timer: NodeJS.Timeout | undefined;
      try {
        const run = () => {
          switch (s.route) {
            case 'health':
              return healthScenario(s, what);
            case 'fleet':
              return fleetScenario(s, what);
            case 'trigger':
              return triggerScenario(s, what);
            default:
              return operationScenario(s, what);
          }
        };
        // A scenario that never ends is a failure of that scenario, not a silent suite timeout.
        await Promise.race([
          run(),
          new Promise((_, reject) => {
            timer = setTimeout(
              () =>
                reject(
                  new Error(
                    `${what}: no answer within ${SCENARIO_LIMIT_MS} ms`,
                  ),
                ),
              SCENARIO_LIMIT_MS,
            );
          }),
        ]);
        if (harmed()) faulted++;
      } finally {
        clearTimeout(timer);
        clearFaults();
        if (process.env.PG_BACKUP_FAULT_VERBOSE)
          process.stderr.write(`  ${Date.now() - began} ms\n`);
      }
    }
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(SCENARIOS);
    // The suite is not vacuous: many scenarios really kept some fact from being read.
    expect(faulted).toBeGreaterThanOrEqual(Math.floor(SCENARIOS / 3));
    // eslint-disable-next-line no-console
    console.log(
      `fault scenarios: ${JSON.stringify(
        counts,
      )}, ${faulted} with a harmful fault, in ${Math.round(
        (Date.now() - started) / 1000,
      )} s`,
    );
  });
  /** Waits until an operation ended (at most 90 s) and returns it. */
  async function ended(id: string): Promise<any> {
    const until = Date.now() + 90_000;
    for (;;) {
      const op = (
        await request(server)
          .get(`/api/pg-backup/operations/${id}`)
          .set('Authorization', as(USERS.owner))
      ).body;
      if (TERMINAL.includes(op.state) || Date.now() > until) return op;
      await sleep(100);
    }
  }

  /** Resolves once `check` holds, polling every 20 ms (at most 30 s). */
  async function when(check: () => Promise<boolean>): Promise<void> {
    const until = Date.now() + 30_000;
    while (!(await check()) && Date.now() < until) await sleep(20);
  }

  /** Starts a drill as the owner and resolves with its id once its first Job exists. */
  async function drillWithJob(): Promise<string> {
    const res = await request(server)
      .post(`${SHOP}/operations`)
      .set('Authorization', as(USERS.owner))
      .send({ kind: 'drill' });
    expect(res.status).toBe(202);
    const id: string = res.body.id;
    await when(async () => (await world.operationJobs(id)).length > 0);
    return id;
  }

  it('scales the Deployments back when the cluster disappears for longer than the first retries of an emergency', async () => {
    const res = await request(server)
      .post(`${SHOP}/operations`)
      .set('Authorization', as(USERS.owner))
      .send({
        kind: 'emergency',
        approvalId: await approval(),
        confirmation: world.database,
      });
    expect(res.status).toBe(202);
    // The cluster vanishes as soon as the application is down, for 5 s (scale-back used to give
    // up after 3 tries in 3.5 s, leaving the application at 0 replicas: seed 42, scenario #54).
    await when(async () => (await world.replicas()).backend === 0);
    k8s.disappear();
    await sleep(5_000);
    k8s.reappear();
    const op = await ended(res.body.id);
    expect(TERMINAL).toContain(op.state);
    expect(await world.replicas()).toEqual(DEPLOYMENTS);
    await expectUnlocked('emergency after a 5 s outage');
  });

  it('follows a Job through a short outage instead of giving it up while it runs', async () => {
    const databases = await scratchless();
    // The restore Job runs; the portal loses the cluster for 1.5 s (seed 42, scenario #4: the
    // drill failed at the first unanswered poll and left its Job running and its database).
    const id = await drillWithJob();
    k8s.disappear();
    await sleep(1_500);
    k8s.reappear();
    const op = await ended(id);
    expect({ state: op.state, error: op.error }).toEqual({
      state: 'succeeded',
      error: undefined,
    });
    const unfinished = (await world.operationJobs(id)).filter(
      job => !job.status?.conditions?.some(c => c.status === 'True'),
    );
    expect(unfinished).toEqual([]);
    expect(await scratchless()).toEqual(databases);
  });

  it('drops a drill’s scratch database when the cluster denies reading its Jobs for a moment (seed 644230679, scenario #163)', async () => {
    const databases = await scratchless();
    // Reading Jobs is forbidden for 1 s once the restore Job exists: the drill fails, its
    // stopped restore Job may still finish, and the cleanup used to be stopped at its first
    // denied read, leaving the scratch database behind.
    const id = await drillWithJob();
    k8s.setRules([
      {
        method: 'GET',
        path: /\/jobs(\/|$)/,
        fault: { kind: 'forbidden' },
      },
    ]);
    await sleep(1_000);
    k8s.setRules([]);
    const op = await ended(id);
    expect({ state: op.state, error: op.error }).toEqual({
      state: 'failed',
      error: expect.stringMatching(/^cluster sandbox: get job .* 403/),
    });
    expect(op.error).not.toMatch(/cleanup:/);
    expect(op.steps.find((s: { id: string }) => s.id === 'cleanup')).toEqual(
      expect.objectContaining({
        state: 'succeeded',
        detail: expect.stringMatching(/^dropped \S+$/),
      }),
    );
    expect(await scratchless()).toEqual(databases);
  });

  it('reads Kubernetes lists answered in pages to their end (seed 42, scenario #139)', async () => {
    const jobs = () =>
      request(server).get(`${SHOP}/jobs`).set('Authorization', as(USERS.owner));
    const names = (body: any) => {
      expect(body.jobs.known).toBe(true);
      return body.jobs.value.map((j: { name: string }) => j.name).sort();
    };
    // Two more Jobs of the CronJob, as an operator's `kubectl create job --from` would make.
    const { batch } = world.admin();
    const cronJob = await batch.readNamespacedCronJob({
      namespace: 'shop',
      name: 'postgresql-backup',
    });
    for (const suffix of ['a', 'b'])
      await batch.createNamespacedJob({
        namespace: 'shop',
        body: {
          metadata: {
            name: `postgresql-backup-paging-${suffix}`,
            ownerReferences: [
              {
                apiVersion: 'batch/v1',
                kind: 'CronJob',
                name: 'postgresql-backup',
                uid: cronJob.metadata!.uid!,
                controller: true,
              },
            ],
          },
          spec: {
            backoffLimit: 0,
            template: {
              spec: {
                restartPolicy: 'Never',
                containers: [
                  { name: 'agent', image: 'busybox', command: ['true'] },
                ],
              },
            },
          },
        },
      });
    // The sandbox's CronJob controller prunes finished Jobs beyond the history limit once the two
    // new ones complete, so compare the paged read with whole reads taken just before and after
    // it, and read again until those two agree (a fresh-clone CI run caught the pruning between).
    let whole: string[] = [];
    let paged: string[] = [];
    for (let attempt = 1; ; attempt++) {
      const before = await jobs();
      expect(before.status).toBe(200);
      k8s.setRules([
        { method: 'GET', fault: { kind: 'paginate', pageSize: 1 } },
      ]);
      const res = await jobs();
      clearFaults();
      const after = await jobs();
      whole = names(before.body);
      paged = names(res.body);
      if (JSON.stringify(whole) === JSON.stringify(names(after.body))) break;
      if (attempt === 10)
        throw new Error('the Jobs of shop kept changing over 10 reads');
      await sleep(500);
    }
    expect(whole.length).toBeGreaterThan(1);
    expect(paged).toEqual(whole);
    expect(k8s.log.filter(r => /\/jobs$/.test(r.path)).length).toBeGreaterThan(
      1,
    );
  });

  it('answers a health read whose listing never ends with the S3 fact unknown (seed 42, scenario #6)', async () => {
    s3.setRules([{ query: /list-type=2/, fault: { kind: 'endless-pages' } }]);
    const res = await health();
    clearFaults();
    expect(res.status).toBe(200);
    expect(res.body.health.status).toMatch(/^(unknown|critical)$/);
    expect(res.body.health.findings).toContainEqual(
      expect.objectContaining({
        code: 'fact-unavailable',
        subject: 'backups',
        message: expect.stringMatching(
          /S3 list s3:\/\/shop-backups\/.* did not end: it returned a continuation token it had already returned/,
        ),
      }),
    );
  });

  it('names the object when an S3 body cannot be read (seed 42, scenario #83)', async () => {
    // The newest manifest, already trusted by earlier reads, is rewritten (still honest, a new
    // ETag), so health must read it again.
    await rewriteNewestManifest(world.s3Client(), 'fault scenario #83');
    s3.setRules([
      { method: 'GET', path: /\.manifest\.json$/, fault: { kind: 'truncate' } },
    ]);
    const res = await health();
    clearFaults();
    expect(res.status).toBe(200);
    expect(res.body.partial).toBe(true);
    const unavailable = res.body.health.findings.filter(
      (f: { code: string }) => f.code === 'fact-unavailable',
    );
    expect(unavailable.length).toBeGreaterThan(0);
    for (const f of unavailable)
      expect(f.message).toMatch(
        /S3 get s3:\/\/shop-backups\/postgresql\/daily\/\S+\.manifest\.json failed while reading the object/,
      );
  });

  it('says a manifest stored without a checksum was cut short, not that the backup is incomplete (seed 624304967, scenario #178)', async () => {
    // A manifest written by a client that sends no checksum (the AWS CLI, a pipeline) has none
    // to check the body against: read cut in half, it was taken for a broken manifest and the
    // database's newest backup reported incomplete while nothing was wrong with it.
    await rewriteNewestManifest(
      new S3Client({
        ...world.s3.clientConfig(),
        requestChecksumCalculation: 'WHEN_REQUIRED',
      }),
      'fault scenario #178',
    );
    s3.setRules([
      { method: 'GET', path: /\.manifest\.json$/, fault: { kind: 'truncate' } },
    ]);
    const res = await health();
    clearFaults();
    expect(res.status).toBe(200);
    const codes = res.body.health.findings.map((f: { code: string }) => f.code);
    expect(codes).not.toContain('backup-incomplete');
    expect(res.body.partial).toBe(true);
    const unavailable = res.body.health.findings.filter(
      (f: { code: string }) => f.code === 'fact-unavailable',
    );
    expect(unavailable.map((f: { message: string }) => f.message)).toEqual([
      expect.stringMatching(
        /S3 get s3:\/\/shop-backups\/postgresql\/daily\/\S+\.manifest\.json returned \d+ of the \d+ bytes listed/,
      ),
    ]);
    // Read whole again, the same manifest describes its dump.
    const again = await health();
    expect(again.body.partial).toBe(false);
    expect(
      again.body.health.findings.map((f: { code: string }) => f.code),
    ).not.toContain('backup-incomplete');
  });

  it('says a Kubernetes answer was cut short, not that the cluster is unreachable', async () => {
    // Found in a review: a truncated body read as "unreachable (Unterminated string
    // in JSON ...)", and the parser's message may quote a piece of the body.
    k8s.setRules([
      { method: 'GET', path: /\/cronjobs$/, fault: { kind: 'truncate' } },
    ]);
    const res = await health();
    clearFaults();
    expect(res.status).toBe(200);
    const unavailable = res.body.health.findings.filter(
      (f: { code: string }) => f.code === 'fact-unavailable',
    );
    expect(unavailable.length).toBeGreaterThan(0);
    for (const f of unavailable) {
      expect(f.message).toMatch(
        /^Could not read Kubernetes CronJobs: cluster sandbox: list cronjobs in shop failed: the answer was not complete JSON \(cut short or corrupted on the way\)$/,
      );
      expect(f.message).not.toMatch(/unreachable|position|JSON at/);
    }
  });

  it('frees the connections of calls that timed out (seed 2026, scenario #509)', async () => {
    // An S3 endpoint that never answers: each health read leaves its calls hanging. Calls that
    // outlived their timeout used to keep their sockets, until the client's pool (50) was used
    // up and every later S3 call timed out, long after the endpoint had recovered.
    s3.setRules([{ fault: { kind: 'hang' } }]);
    k8s.setRules([{ fault: { kind: 'hang' } }]);
    const hung = await Promise.all(Array.from({ length: 20 }, () => health()));
    expect(hung.every(r => r.body.partial === true)).toBe(true);
    clearFaults();
    const res = await health();
    const unavailable = res.body.health.findings.filter(
      (f: { code: string }) => f.code === 'fact-unavailable',
    );
    expect(unavailable).toEqual([]);
  });
});

/**
 * Rewrites the newest manifest of shop-backups (still honest, with a new ETag), so health must
 * read it again instead of trusting what it read before; destroys `client`.
 */
async function rewriteNewestManifest(client: S3Client, rewrittenBy: string) {
  const listed = await client.send(
    new ListObjectsV2Command({
      Bucket: 'shop-backups',
      Prefix: 'postgresql/daily/',
    }),
  );
  const manifestKey = (listed.Contents ?? [])
    .map(o => o.Key!)
    .filter(k => k.endsWith('.manifest.json'))
    .sort()
    .pop()!;
  const manifest = JSON.parse(
    await (
      await client.send(
        new GetObjectCommand({ Bucket: 'shop-backups', Key: manifestKey }),
      )
    ).Body!.transformToString(),
  );
  await client.send(
    new PutObjectCommand({
      Bucket: 'shop-backups',
      Key: manifestKey,
      Body: JSON.stringify({ ...manifest, rewrittenBy }),
    }),
  );
  client.destroy();
}
