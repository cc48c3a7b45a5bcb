import { Client } from 'pg';
import {
  BackendProcess,
  databasePrefix,
  dropDatabases,
  withPostgres,
} from '../__testUtils__/backendProcess';
import { RecoveryWorld, connect, sql } from '../__testUtils__/recoveryWorld';
import { USERS } from '../__testUtils__/testWorld';

// Two backend replicas, each its own OS process with the production backend's real scheduler,
// on one PostgreSQL plugin database, as a Deployment with two replicas runs them.
//
// PG_BACKUP_SOAK=1 watches the refresh over more intervals and sends more restore bursts.
const SOAK = process.env.PG_BACKUP_SOAK === '1';
const REFRESH_INTERVAL_MS = 3_000;
const REFRESH_WINDOW_MS = SOAK ? 60_000 : 15_000;
const CONCURRENT_REQUESTS = 50;
const BURSTS = SOAK ? 4 : 1;
jest.setTimeout(SOAK ? 900_000 : 240_000);

const SHOP = '/api/pg-backup/entities/resource/default/shop-postgresql';
const TERMINAL = ['succeeded', 'failed', 'cancelled'];
const REFRESHED = /pg-backup: refreshed health of \d+ databases/;
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

describe('two backend replicas on one PostgreSQL database', () => {
  let world: RecoveryWorld;
  let replicas: BackendProcess[] = [];
  const prefix = databasePrefix('replicas');

  beforeAll(async () => {
    world = await RecoveryWorld.start();
    const config = withPostgres(
      world.config({
        refreshInterval: { milliseconds: REFRESH_INTERVAL_MS },
        refreshInitialDelay: { milliseconds: 500 },
        recovery: { pollInterval: { milliseconds: 200 } },
      }),
      prefix,
    );
    // One after the other, as a rolling deployment starts them (the first migrates).
    for (let i = 0; i < 2; i++) {
      const replica = await BackendProcess.start(config);
      replicas.push(replica);
      await replica.untilServed(`${SHOP}/health`, USERS.owner);
    }
  });

  afterAll(async () => {
    await Promise.all(replicas.map(r => r.stop()));
    replicas = [];
    await dropDatabases(prefix);
    await world?.stop();
  });

  /** The fleet refreshes each replica logs within `windowMs`, in order. */
  /** The first refresh that ends within `windowMs`, as soon as its log line appears. */
  async function nextRefresh(
    windowMs: number,
  ): Promise<{ replica: number } | undefined> {
    const seen = replicas.map(r => r.lines.length);
    const until = Date.now() + windowMs;
    while (Date.now() < until) {
      const replica = replicas.findIndex((r, index) =>
        r.lines.slice(seen[index]).some(line => REFRESHED.test(line)),
      );
      if (replica >= 0) return { replica };
      await sleep(20);
    }
    return undefined;
  }

  async function refreshesWithin(
    windowMs: number,
  ): Promise<Array<{ replica: number; at: number }>> {
    const seen = replicas.map(r => r.lines.length);
    const runs: Array<{ replica: number; at: number }> = [];
    const began = Date.now();
    while (Date.now() - began < windowMs) {
      replicas.forEach((replica, index) => {
        for (const line of replica.lines.slice(seen[index]))
          if (REFRESHED.test(line))
            runs.push({ replica: index, at: Date.now() - began });
        seen[index] = replica.lines.length;
      });
      await sleep(20);
    }
    // eslint-disable-next-line no-console
    console.log(
      `fleet refreshes in ${windowMs} ms: ${runs
        .map(r => `replica ${r.replica} at +${r.at} ms`)
        .join(', ')}`,
    );
    return runs;
  }

  it('runs the scheduled fleet refresh once per interval across both replicas', async () => {
    const runs = await refreshesWithin(REFRESH_WINDOW_MS);
    const intervals = REFRESH_WINDOW_MS / REFRESH_INTERVAL_MS;
    // It runs (the scheduler may delay a run by up to one interval)...
    expect(runs.length).toBeGreaterThanOrEqual(Math.floor(intervals / 2));
    // ...but not on each replica: that would be twice as many runs, in pairs.
    expect(runs.length).toBeLessThanOrEqual(intervals + 1);
    const gaps = runs.slice(1).map((run, i) => run.at - runs[i].at);
    expect(Math.min(...gaps)).toBeGreaterThan(REFRESH_INTERVAL_MS * 0.6);
    // The snapshots both replicas serve come from the shared store.
    for (const replica of replicas) {
      const fleet = await replica.request(
        'GET',
        '/api/pg-backup/fleet',
        USERS.owner,
      );
      expect(fleet.status).toBe(200);
      expect(
        fleet.body.items.map((i: { entityRef: string }) => i.entityRef),
      ).toEqual([world.entityRef]);
    }
  });

  /**
   * Sends the concurrent restore requests of one burst, checks their answers and effect, and
   * returns how many were accepted and refused with 409.
   */
  async function restoreBurst(
    burst: number,
  ): Promise<{ accepted: number; refused: number }> {
    const target = { kind: 'live', database: world.database };
    // Each request carries its own approval, so that only the database's lock can refuse it.
    const approvalIds: string[] = [];
    for (let i = 0; i < CONCURRENT_REQUESTS; i++) {
      const requested = await replicas[i % 2].request(
        'POST',
        `${SHOP}/approvals`,
        USERS.owner,
        {
          kind: 'restore',
          target,
          backupKey: world.keys.good,
          reason: `burst ${burst} request ${i}`,
        },
      );
      expect(requested.status).toBe(201);
      const decided = await replicas[(i + 1) % 2].request(
        'POST',
        `/api/pg-backup/approvals/${requested.body.id}/decision`,
        USERS.other,
        { decision: 'approve' },
      );
      expect(decided.status).toBe(200);
      approvalIds.push(requested.body.id);
    }
    await sql(world.database, "INSERT INTO customers (name) VALUES ('late')");
    // A long transaction holds a table lock: the winner's safety backup (pg_dump) waits for
    // it, so the winner is still running while every other request is answered.
    const blocker: Client = await connect(world.database);
    let responses: Array<{ status: number; body: any }>;
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE customers IN ACCESS EXCLUSIVE MODE');
      responses = await Promise.all(
        approvalIds.map((approvalId, i) =>
          replicas[i % 2].request('POST', `${SHOP}/operations`, USERS.owner, {
            kind: 'restore',
            target,
            backupKey: world.keys.good,
            approvalId,
            confirmation: world.database,
          }),
        ),
      );
      // Every request was answered while the winner still ran (its pg_dump waits).
      const winnerId = responses.find(r => r.status === 202)?.body.id;
      const during = await replicas[0].request(
        'GET',
        `/api/pg-backup/operations/${winnerId}`,
        USERS.owner,
      );
      expect(during.body.state).toBe('running');
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
    }

    const statuses = responses.map(r => r.status);
    expect(statuses.filter(s => s === 202)).toHaveLength(1);
    expect(statuses.filter(s => s === 409)).toHaveLength(
      CONCURRENT_REQUESTS - 1,
    );
    const winner = responses.find(r => r.status === 202)!.body;
    for (const refused of responses.filter(r => r.status === 409))
      expect(refused.body.error.message).toBe(
        `operation ${winner.id} (restore) of ${world.entityRef} is running; only one restore, verify, emergency recovery or drill runs per database at a time`,
      );
    // Each replica refused about half: the lock holds across processes, not in one.
    for (const replica of [0, 1])
      expect(
        statuses.filter((s, i) => i % 2 === replica && s === 409).length,
      ).toBeGreaterThanOrEqual(CONCURRENT_REQUESTS / 2 - 1);
    const stored = await sql<{ id: string }>(
      `${prefix}pg-backup`,
      `SELECT id FROM pg_backup_operations WHERE approval_id IN (${approvalIds
        .map(id => `'${id}'`)
        .join(',')})`,
    );
    expect(stored.map(r => r.id)).toEqual([winner.id]);
    // A refusal leaves its approval unused.
    const used = await sql<{ id: string }>(
      `${prefix}pg-backup`,
      `SELECT id FROM pg_backup_approvals WHERE used_by_operation IS NOT NULL AND id IN (${approvalIds
        .map(id => `'${id}'`)
        .join(',')})`,
    );
    expect(used.map(r => r.id)).toEqual([winner.approvalId]);

    let op = winner;
    const until = Date.now() + 120_000;
    while (!TERMINAL.includes(op.state) && Date.now() < until) {
      await sleep(200);
      op = (
        await replicas[burst % 2].request(
          'GET',
          `/api/pg-backup/operations/${winner.id}`,
          USERS.owner,
        )
      ).body;
    }
    expect({ state: op.state, error: op.error }).toEqual({
      state: 'succeeded',
      error: undefined,
    });
    const restoreJobs = (await world.operationJobs()).filter(
      job =>
        job.metadata?.annotations?.['pg-backup.io/step'] === 'restore' &&
        job.metadata?.labels?.['pg-backup.io/operation'] === winner.id,
    );
    expect(restoreJobs).toHaveLength(1);
    expect(await world.rowCounts(world.database)).toEqual(
      (await world.manifest(world.keys.good)).rowCounts,
    );
    return {
      accepted: statuses.filter(s => s === 202).length,
      refused: statuses.filter(s => s === 409).length,
    };
  }

  it(`lets exactly one of ${CONCURRENT_REQUESTS} concurrent restore requests split over both replicas run; the others get 409 naming it`, async () => {
    for (let burst = 0; burst < BURSTS; burst++)
      expect(await restoreBurst(burst)).toEqual({
        accepted: 1,
        refused: CONCURRENT_REQUESTS - 1,
      });
  });

  it('keeps refreshing on the other replica once the one that ran the refresh is killed', async () => {
    const last = await nextRefresh(REFRESH_INTERVAL_MS * 2);
    expect(last).toBeDefined();
    // Killed right after a run ended, a whole interval before the next: no run is left holding
    // the task, however slow the machine makes the runs.
    await replicas[last!.replica].kill();
    const survivor = 1 - last!.replica;
    const runs = await refreshesWithin(REFRESH_INTERVAL_MS * 4);
    expect(
      runs.filter(r => r.replica === survivor).length,
    ).toBeGreaterThanOrEqual(2);
    expect(runs.filter(r => r.replica !== survivor)).toEqual([]);
  });
});
