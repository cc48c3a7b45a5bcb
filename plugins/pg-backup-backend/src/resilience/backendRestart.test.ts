import { RecoveryOperation } from '@pg-backup/backstage-plugin-pg-backup-common';
import {
  BackendProcess,
  databasePrefix,
  dropDatabases,
  withPostgres,
} from '../__testUtils__/backendProcess';
import {
  DEPLOYMENTS,
  RecoveryWorld,
  sql,
} from '../__testUtils__/recoveryWorld';
import { USERS } from '../__testUtils__/testWorld';

// Backends run as their own OS processes on one PostgreSQL plugin database, and are killed with
// SIGKILL (no shutdown hook runs, the lease is not released) while an operation's Job runs. The
// backend started next resumes the operation: it adopts the running Job instead of starting a
// second one, and finishes the remaining steps.
//
// PG_BACKUP_SOAK=1 adds kills at random moments of several emergency recoveries.
const SOAK = process.env.PG_BACKUP_SOAK === '1';
const RANDOM_KILLS = SOAK ? 6 : 1;
jest.setTimeout(SOAK ? 900_000 : 240_000);

const SHOP = '/api/pg-backup/entities/resource/default/shop-postgresql';
const TERMINAL = ['succeeded', 'failed', 'cancelled'];
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

describe('a backend killed with SIGKILL in the middle of an operation', () => {
  let world: RecoveryWorld;
  let backend: BackendProcess | undefined;
  let config: Record<string, unknown>;
  const prefix = databasePrefix('restart');
  /** Jobs created per operation and component, and pods created per Job. */
  const jobsCreated = new Map<string, string[]>();
  const podsCreated = new Map<string, number>();
  /** Every OID seen for each database of the world (a restore swaps in a new database). */
  const oidsSeen = new Map<string, Set<number>>();
  let watchingOids = true;
  let oidWatch: Promise<void> | undefined;

  beforeAll(async () => {
    world = await RecoveryWorld.start();
    world.sandbox.store.subscribe(event => {
      if (event.type !== 'ADDED') return;
      const { kind, metadata } = event.object as any;
      const operationId = metadata?.labels?.['pg-backup.io/operation'];
      if (kind === 'Job' && operationId) {
        const component = metadata.annotations?.['pg-backup.io/step'];
        const key = `${operationId}/${component}`;
        jobsCreated.set(key, [...(jobsCreated.get(key) ?? []), metadata.name]);
      }
      const owner = metadata?.ownerReferences?.[0];
      if (kind === 'Pod' && owner?.kind === 'Job')
        podsCreated.set(owner.name, (podsCreated.get(owner.name) ?? 0) + 1);
    });
    oidWatch = (async () => {
      while (watchingOids) {
        const rows = await sql<{ datname: string; oid: number }>(
          'postgres',
          `SELECT datname, oid::int AS oid FROM pg_database WHERE datname LIKE '${world.database}%'`,
        ).catch(() => []);
        for (const { datname, oid } of rows)
          oidsSeen.set(datname, (oidsSeen.get(datname) ?? new Set()).add(oid));
        await sleep(50);
      }
    })();
    config = withPostgres(
      world.config({
        recovery: {
          leaseTimeout: { seconds: 2 },
          pollInterval: { milliseconds: 200 },
        },
      }),
      prefix,
    );
    backend = await startBackend();
  });

  afterAll(async () => {
    watchingOids = false;
    await oidWatch;
    await backend?.kill();
    await dropDatabases(prefix);
    await world?.stop();
  });

  const current = () => backend!;

  /** Starts a backend and waits until its catalog serves the database entity. */
  async function startBackend(): Promise<BackendProcess> {
    const started = await BackendProcess.start(config);
    await started.untilServed(`${SHOP}/health`, USERS.owner);
    return started;
  }

  async function operation(id: string): Promise<RecoveryOperation> {
    const res = await current().request(
      'GET',
      `/api/pg-backup/operations/${id}`,
      USERS.owner,
    );
    expect(res.status).toBe(200);
    return res.body;
  }

  async function finished(id: string): Promise<RecoveryOperation> {
    const until = Date.now() + 120_000;
    for (;;) {
      const op = await operation(id);
      if (TERMINAL.includes(op.state)) return op;
      if (Date.now() > until)
        throw new Error(
          `operation ${id} is still ${op.state} after 120 s: ${JSON.stringify(
            op.steps,
          )}`,
        );
      await sleep(200);
    }
  }

  /** An approval of `body` requested by the owner and approved by another person. */
  async function approved(body: object): Promise<string> {
    const created = await current().request(
      'POST',
      `${SHOP}/approvals`,
      USERS.owner,
      body,
    );
    expect(created.status).toBe(201);
    const decided = await current().request(
      'POST',
      `/api/pg-backup/approvals/${created.body.id}/decision`,
      USERS.other,
      { decision: 'approve' },
    );
    expect(decided.status).toBe(200);
    return created.body.id;
  }

  async function start(body: object): Promise<string> {
    const res = await current().request(
      'POST',
      `${SHOP}/operations`,
      USERS.owner,
      body,
    );
    expect(res.status).toBe(202);
    return res.body.id;
  }

  /** Waits until the operation's Job of `component` has a running pod. */
  async function jobRunning(id: string, component: string): Promise<string> {
    const until = Date.now() + 60_000;
    while (Date.now() < until) {
      const [job] = await world.operationJobs(id);
      const names = jobsCreated.get(`${id}/${component}`) ?? [];
      if (job && names.length > 0 && (podsCreated.get(names[0]) ?? 0) > 0)
        return names[0];
      await sleep(25);
    }
    throw new Error(`the ${component} Job of ${id} never ran`);
  }

  /** SIGKILLs the backend and starts another one on the same database. */
  async function killAndRestart(): Promise<void> {
    await current().kill();
    backend = await startBackend();
  }

  /** Each Job of the operation was created once and ran in one pod. */
  function expectEachJobOnce(id: string, components: string[]) {
    for (const component of components) {
      const names = jobsCreated.get(`${id}/${component}`) ?? [];
      expect({ component, jobs: names.length }).toEqual({ component, jobs: 1 });
      expect({ job: names[0], pods: podsCreated.get(names[0]) }).toEqual({
        job: names[0],
        pods: 1,
      });
    }
  }

  /** The lock is free: another operation of the database starts and finishes. */
  async function expectLockReleased() {
    const next = await current().request(
      'POST',
      `${SHOP}/operations`,
      USERS.owner,
      { kind: 'verify' },
    );
    expect(next.status).toBe(202);
    expect((await finished(next.body.id)).state).toBe('succeeded');
  }

  /** How many times the live database was swapped for a restored copy (new OIDs seen). */
  const liveSwaps = () => (oidsSeen.get(world.database)?.size ?? 1) - 1;

  const stepStates = (op: RecoveryOperation) =>
    Object.fromEntries(op.steps.map(s => [s.id, s.state]));

  it('resumes a restore over the live database killed while its restore Job runs: restored once, verified', async () => {
    await sql(world.database, "INSERT INTO customers (name) VALUES ('late')");
    expect(liveSwaps()).toBe(0);
    const target = { kind: 'live', database: world.database };
    const approvalId = await approved({
      kind: 'restore',
      target,
      reason: 'restart test',
    });
    const id = await start({
      kind: 'restore',
      target,
      approvalId,
      confirmation: world.database,
    });
    await jobRunning(id, 'restore');
    await killAndRestart();

    const op = await finished(id);
    expect(op.error).toBeUndefined();
    expect(op.state).toBe('succeeded');
    expect(stepStates(op)).toEqual({
      'safety-backup': 'succeeded',
      restore: 'succeeded',
      verify: 'succeeded',
    });
    expectEachJobOnce(id, ['safety-backup', 'restore', 'verify']);
    // Swapped in exactly once: one new database OID besides the original.
    expect(liveSwaps()).toBe(1);
    expect(await world.rowCounts(world.database)).toEqual(
      (await world.manifest(world.keys.good)).rowCounts,
    );
    expect(await world.replicas()).toEqual(DEPLOYMENTS);
    await expectLockReleased();
  });

  it('resumes an emergency recovery killed with the Deployments at 0 and the restore Job running: scaled back once', async () => {
    for (const name of Object.keys(DEPLOYMENTS))
      world.replicaHistory[name] = [];
    const swapsBefore = liveSwaps();
    const approvalId = await approved({
      kind: 'emergency',
      reason: 'restart test',
    });
    const id = await start({
      kind: 'emergency',
      approvalId,
      confirmation: world.database,
    });
    await jobRunning(id, 'restore');
    expect(await world.replicas()).toEqual({ backend: 0, worker: 0 });
    await killAndRestart();

    const op = await finished(id);
    expect(op.error).toBeUndefined();
    expect(op.state).toBe('succeeded');
    expect(op.recordedReplicas).toEqual(DEPLOYMENTS);
    expect(stepStates(op)).toEqual({
      'scale-down': 'succeeded',
      'check-postgres': 'succeeded',
      'safety-backup': 'succeeded',
      restore: 'succeeded',
      verify: 'succeeded',
      'scale-back': 'succeeded',
    });
    expect(op.steps.find(s => s.id === 'scale-back')?.detail).toBe(
      'scaled back to backend 3, worker 2',
    );
    expectEachJobOnce(id, ['safety-backup', 'restore', 'verify']);
    expect(liveSwaps() - swapsBefore).toBe(1);
    expect(world.replicaHistory).toEqual({ backend: [0, 3], worker: [0, 2] });
    expect(await world.replicas()).toEqual(DEPLOYMENTS);
    await expectLockReleased();
  });

  it('resumes a drill killed while its restore Job runs: one scratch database, dropped, one drill recorded', async () => {
    const id = await start({ kind: 'drill', notes: 'restart test' });
    const job = await jobRunning(id, 'restore');
    await killAndRestart();

    const op = await finished(id);
    expect(op.error).toBeUndefined();
    expect(op.state).toBe('succeeded');
    expect(stepStates(op)).toEqual({
      restore: 'succeeded',
      verify: 'succeeded',
      cleanup: 'succeeded',
      record: 'succeeded',
    });
    expect(job).toMatch(/^pg-backup-restore-/);
    expectEachJobOnce(id, ['restore', 'verify', 'cleanup']);
    // Restored once into one scratch database, which is gone.
    const scratch = op.steps
      .find(s => s.id === 'cleanup')!
      .detail!.replace(/^dropped /, '');
    expect(scratch).toMatch(new RegExp(`^${world.database}_verify_`));
    expect(oidsSeen.get(scratch)?.size).toBe(1);
    expect(await world.databases(scratch)).toEqual([]);
    const drills = await current().request(
      'GET',
      `${SHOP}/drills`,
      USERS.owner,
    );
    expect(
      drills.body.items.filter(
        (d: { operationId?: string }) => d.operationId === id,
      ),
    ).toHaveLength(1);
    await expectLockReleased();
  });

  it('fails an emergency recovery whose restore Job vanished while no backend ran, without restoring again, and scales back', async () => {
    for (const name of Object.keys(DEPLOYMENTS))
      world.replicaHistory[name] = [];
    const swapsBefore = liveSwaps();
    const approvalId = await approved({
      kind: 'emergency',
      reason: 'vanished job test',
    });
    const id = await start({
      kind: 'emergency',
      approvalId,
      confirmation: world.database,
    });
    const job = await jobRunning(id, 'restore');
    await current().kill();
    // An operator (or the Job's TTL) deletes the Job while no backend runs: it may or may not
    // have restored, so the next backend must not start it again.
    await world
      .admin()
      .batch.deleteNamespacedJob({ namespace: world.namespace, name: job });
    backend = await startBackend();

    const op = await finished(id);
    expect(op.state).toBe('failed');
    expect(op.error).toContain(
      `job ${world.namespace}/${job}, started before a backend restart, no longer exists; it is not started again`,
    );
    expect(stepStates(op)).toEqual({
      'scale-down': 'succeeded',
      'check-postgres': 'succeeded',
      'safety-backup': 'succeeded',
      restore: 'failed',
      verify: 'cancelled',
      'scale-back': 'succeeded',
    });
    expect(jobsCreated.get(`${id}/restore`)).toEqual([job]);
    expect(jobsCreated.get(`${id}/verify`)).toBeUndefined();
    // Whether the deleted Job's agent swapped its copy in before it was stopped or not, the
    // live database was replaced at most once.
    expect(liveSwaps() - swapsBefore).toBeLessThanOrEqual(1);
    expect(world.replicaHistory).toEqual({ backend: [0, 3], worker: [0, 2] });
    expect(await world.replicas()).toEqual(DEPLOYMENTS);
    await expectLockReleased();
  });

  it(`ends ${RANDOM_KILLS} emergency recover${
    RANDOM_KILLS === 1 ? 'y' : 'ies'
  } killed at random moments with the Deployments at their recorded counts`, async () => {
    for (let round = 0; round < RANDOM_KILLS; round++) {
      const approvalId = await approved({
        kind: 'emergency',
        reason: `random kill ${round}`,
      });
      const id = await start({
        kind: 'emergency',
        approvalId,
        confirmation: world.database,
      });
      const delayMs = Math.floor(Math.random() * 8_000);
      await sleep(delayMs);
      await killAndRestart();
      const op = await finished(id);
      const context = { round, delayMs, state: op.state, error: op.error };
      // It resumed to its end; if it had already ended, it ended by itself.
      expect(context).toEqual({ ...context, state: 'succeeded' });
      expect(await world.replicas()).toEqual(DEPLOYMENTS);
      for (const component of ['safety-backup', 'restore', 'verify'])
        expect(
          (jobsCreated.get(`${id}/${component}`) ?? []).length,
        ).toBeLessThanOrEqual(1);
    }
    await expectLockReleased();
  });
});
