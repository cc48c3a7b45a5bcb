/*
 * The issue's "Done when": the example templates run as tasks through the real scaffolder
 * (POST /api/scaffolder/v2/tasks and /v2/dry-run) against the real pg-backup backend, with the
 * real catalog and permission backends, on the recovery world of the backend's own tests: a
 * sandbox cluster running the QAWave runbook's backup CronJob with the real backup agent, moto S3 and a
 * database on the local PostgreSQL 15. Restores, verifications and scale-downs really happen;
 * the test checks them with independent clients (PostgreSQL through `pg`, an admin Kubernetes
 * client, S3), not through the routes under test.
 */
import fs from 'node:fs';
// eslint-disable-next-line @backstage/no-mixed-plugin-imports -- the test hosts the real backend
import pgBackupPlugin from '@pg-backup/backstage-plugin-pg-backup-backend';
// The backend's own recovery test world, its test users and permission policy: reused, not copied.
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import {
  DEPLOYMENTS,
  RecoveryWorld,
  sql,
} from '../../pg-backup-backend/src/__testUtils__/recoveryWorld';
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import {
  USERS,
  recordingNotifications,
  testPolicyModule,
} from '../../pg-backup-backend/src/__testUtils__/testWorld';
import {
  ApprovalRequest,
  DrillRecordEntry,
  RecoveryOperation,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import { JsonObject } from '@backstage/types';
import yaml from 'yaml';
import { DEFAULT_FOLLOW_TIMING } from './FollowTiming';
import {
  FinishedTask,
  TEMPLATE_FILES,
  startScaffolderTestBackend,
} from './__testUtils__/startScaffolderTestBackend';

jest.setTimeout(60_000);

/** The requester (and the database's owner) and a second person. */
const ALICE = USERS.owner;
const BOB = USERS.other;
/** The actions poll operations as in production (2 s); approvals faster than production's 5 s. */
const TIMING = { ...DEFAULT_FOLLOW_TIMING, approvalPollIntervalMs: 500 };
/** The issue's target for each half of the orchestration overhead. */
const OVERHEAD_TARGET_MS = 5_000;
/** The database's routes under /api/pg-backup. */
const SHOP = '/entities/resource/default/shop-postgresql';

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

describe('pg-backup templates end to end: real scaffolder, real pg-backup backend, sandbox cluster, S3 and PostgreSQL', () => {
  let world: RecoveryWorld;
  let portal: Awaited<ReturnType<typeof startScaffolderTestBackend>>;
  const notifications = recordingNotifications();
  /** Orchestration overheads measured, printed at the end. */
  const overheads: string[] = [];

  beforeAll(async () => {
    world = await RecoveryWorld.start();
    portal = await startScaffolderTestBackend({
      pgBackup: [pgBackupPlugin, notifications.factory],
      policy: testPolicyModule,
      timing: TIMING,
      config: world.config({
        refreshInitialDelay: { hours: 1 },
      }) as JsonObject,
    });
    await portal.templatesReady();
    // The catalog reads the database's entity file asynchronously.
    const until = Date.now() + 30_000;
    for (;;) {
      const res = await pg('GET', `${SHOP}/health`, ALICE);
      if (res.status === 200) break;
      if (Date.now() > until)
        throw new Error(`the database entity is not served: ${res.status}`);
      await sleep(100);
    }
  }, 150_000);

  afterAll(async () => {
    // eslint-disable-next-line no-console
    console.log(
      [
        `orchestration overhead as seen from the task (actions poll every ${TIMING.pollIntervalMs} ms, the backend every 500 ms):`,
        ...overheads,
      ].join('\n  '),
    );
    await portal?.backend.stop();
    await world?.stop();
  });

  /** A request to the pg-backup backend, as a user. */
  function pg(method: string, path: string, user: string, body?: unknown) {
    return portal.call(method, `/api/pg-backup${path}`, user, body);
  }

  /** The database's operations, newest first. */
  async function operations(): Promise<RecoveryOperation[]> {
    const res = await pg('GET', `${SHOP}/operations?limit=100`, ALICE);
    expect(res.status).toBe(200);
    return res.body.items;
  }

  /** The database's approval requests, newest first. */
  async function approvals(): Promise<ApprovalRequest[]> {
    const res = await pg('GET', `${SHOP}/approvals`, ALICE);
    expect(res.status).toBe(200);
    return res.body.items;
  }

  /** Starts a task and notes when, by this process's clock. */
  async function startTask(template: string, values: JsonObject, user: string) {
    const startedAt = Date.now();
    const id = await portal.startTask(template, values, user);
    return { id, startedAt };
  }

  /** Waits until the task ends; `endedAt` is when this process first saw it ended (50 ms polls). */
  async function finished(taskId: string, user = ALICE, timeoutMs = 60_000) {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const res = await portal.call(
        'GET',
        `/api/scaffolder/v2/tasks/${taskId}`,
        user,
      );
      if (['completed', 'failed', 'cancelled'].includes(res.body.status)) {
        const endedAt = Date.now();
        return { ...(await portal.readTask(taskId, user)), endedAt };
      }
      if (Date.now() > until)
        throw new Error(
          `task ${taskId} still ${res.body.status} after ${timeoutMs} ms`,
        );
      await sleep(50);
    }
  }

  const messages = (task: FinishedTask) => task.log.map(l => l.message);

  /** Waits until a log line of the task matches; returns the match. */
  async function logLine(
    taskId: string,
    pattern: RegExp,
    timeoutMs = 30_000,
  ): Promise<RegExpExecArray> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const task = await portal.readTask(taskId, ALICE);
      for (const message of messages(task)) {
        const match = pattern.exec(message);
        if (match) return match;
      }
      if (['completed', 'failed', 'cancelled'].includes(task.status))
        throw new Error(
          `task ${taskId} ${
            task.status
          } without logging ${pattern}:\n${messages(task).join('\n')}`,
        );
      if (Date.now() > until)
        throw new Error(`task ${taskId} did not log ${pattern}`);
      await sleep(100);
    }
  }

  /** The approval the task's request step created. */
  async function requestedApproval(taskId: string): Promise<string> {
    return (await logLine(taskId, /Requested approval ([0-9a-f-]{36})/))[1];
  }

  const decide = (
    approvalId: string,
    user: string,
    decision: 'approve' | 'reject',
    comment?: string,
  ) =>
    pg('POST', `/approvals/${approvalId}/decision`, user, {
      decision,
      ...(comment && { comment }),
    });

  /** The database's operations that match, newest first. */
  const operationOf = async (predicate: (op: RecoveryOperation) => boolean) =>
    (await operations()).filter(predicate);

  /**
   * The orchestration overhead around an operation's Jobs, from the sandbox's record of them:
   * `from` (the task's start, or the approval) → the restore Job created, and the operation's
   * last Job finished → the task seen ended. What lies between is the Jobs' own work.
   */
  async function overhead(
    label: string,
    from: number,
    op: RecoveryOperation,
    endedAt: number,
  ) {
    const jobs = (await world.operationJobs(op.id)).map(j => ({
      component: j.metadata?.labels?.['app.kubernetes.io/component'],
      ...world.jobTimes.get(j.metadata!.name!),
    }));
    const restore = jobs.find(j => j.component === 'restore')!;
    const first = Math.min(...jobs.map(j => j.created!));
    const last = Math.max(...jobs.map(j => j.finished!));
    const figures = {
      toRestoreJob: restore.created! - from,
      fromLastJob: endedAt - last,
    };
    overheads.push(
      `${label} -> restore Job created ${figures.toRestoreJob} ms${
        first < restore.created! ? ` (first Job after ${first - from} ms)` : ''
      }; last Job finished -> task ended ${figures.fromLastJob} ms; Jobs ${
        last - first
      } ms (${jobs.map(j => j.component).join(', ')})`,
    );
    return figures;
  }

  it('dry-runs the restore and the emergency recovery: a plan, and nothing changed (no operation, Job, approval or scale-down)', async () => {
    for (const [file, values, steps] of [
      [
        TEMPLATE_FILES[0],
        {
          entity: world.entityRef,
          targetKind: 'live',
          confirmation: world.database,
          overwriteAcknowledged: true,
          reason: 'A faulty migration dropped rows from orders',
        },
        ['safety-backup', 'restore', 'verify'],
      ],
      [
        TEMPLATE_FILES[2],
        {
          entity: world.entityRef,
          confirmation: world.database,
          downtimeAcknowledged: true,
          reason: 'The database is corrupted after the deployment',
        },
        [
          'scale-down',
          'check-postgres',
          'safety-backup',
          'restore',
          'verify',
          'scale-back',
        ],
      ],
    ] as const) {
      const template = yaml.parse(fs.readFileSync(file, 'utf8'));
      const res = await portal.dryRun(template, values as JsonObject, ALICE);
      expect({
        status: res.status,
        body: res.status === 200 ? {} : res.body,
      }).toEqual({ status: 200, body: {} });
      const log: string[] = res.body.log.map(
        (l: { body: { message: string } }) => l.body.message,
      );
      expect(log).toEqual(
        expect.arrayContaining([
          expect.stringContaining(
            'Dry run, nothing changed: would request an approval',
          ),
          expect.stringContaining(
            `Dry run, nothing changed: the ${
              steps.length === 3 ? 'restore' : 'emergency'
            } of ${world.entityRef} would use backup ${world.keys.good}`,
          ),
          expect.stringContaining('Approval: missing'),
          ...steps.map((id, i) => expect.stringContaining(`${i + 1}. ${id}:`)),
        ]),
      );
    }
    expect(await operations()).toEqual([]);
    expect(await approvals()).toEqual([]);
    expect(await world.operationJobs()).toEqual([]);
    expect(await world.replicas()).toEqual(DEPLOYMENTS);
    expect(notifications.sent).toEqual([]);
  });

  it('runs a drill task: the measured RTO is recorded, served by GET drills and in health lastDrill', async () => {
    const task = await startTask(
      'pg-backup-drill',
      {
        entity: world.entityRef,
        preChecklist: ['Stakeholders notified'],
        duringChecklist: ['Perform restore', 'Run verification job'],
        postChecklist: ['Data integrity confirmed'],
        notes: 'The scaffolder drill ran end to end.',
        reason: 'Quarterly recovery drill',
      },
      ALICE,
    );
    const done = await finished(task.id);
    expect({
      status: done.status,
      log: done.status === 'completed' ? [] : messages(done),
    }).toEqual({ status: 'completed', log: [] });

    const [op] = await operationOf(o => o.kind === 'drill');
    expect(op).toMatchObject({
      state: 'succeeded',
      requestedBy: ALICE,
      backupKey: world.keys.good,
      rtoObjectiveMs: 3_600_000,
    });
    expect(op.measuredRtoMs).toBeGreaterThan(0);
    const drills = await pg('GET', `${SHOP}/drills`, ALICE);
    expect(drills.status).toBe(200);
    const drill: DrillRecordEntry = drills.body.items[0];
    expect(drill).toMatchObject({
      passed: true,
      measuredRtoMs: op.measuredRtoMs,
      rtoObjectiveMs: 3_600_000,
      recordedBy: ALICE,
      backupKey: world.keys.good,
      operationId: op.id,
      notes: 'The scaffolder drill ran end to end.',
    });
    expect(drill.checklist?.filter(i => i.done)).toEqual([
      { phase: 'pre', item: 'Stakeholders notified', done: true },
      { phase: 'during', item: 'Perform restore', done: true },
      { phase: 'during', item: 'Run verification job', done: true },
      { phase: 'post', item: 'Data integrity confirmed', done: true },
    ]);
    const health = await pg('GET', `${SHOP}/health`, ALICE);
    expect(health.body.lastDrill).toMatchObject({
      passed: true,
      measuredRtoMs: op.measuredRtoMs,
    });
    // The task reports the same figure, and the scratch database is gone.
    expect(JSON.stringify(done.output)).toContain('objective 1h');
    expect(messages(done).join('\n')).toContain(`operation ${op.id}`);
    expect(await world.databases(`${world.database}_verify_`)).toEqual([]);

    const figures = await overhead(
      'drill task: task start',
      task.startedAt,
      op,
      done.endedAt,
    );
    expect(figures.toRestoreJob).toBeLessThanOrEqual(OVERHEAD_TARGET_MS);
    expect(figures.fromLastJob).toBeLessThanOrEqual(OVERHEAD_TARGET_MS);
  });

  it('runs exactly one of two concurrent restore tasks of one database; the other fails with a 409 naming the running operation', async () => {
    const before = (await operations()).map(o => o.id);
    const jobsBefore = (await world.operationJobs()).length;
    const values = (suffix: string) => ({
      entity: world.entityRef,
      backupKey: world.keys.good,
      targetKind: 'new-database',
      targetDatabase: `${world.database}_e2e_${suffix}`,
      reason: 'Look at the orders of last night',
    });
    const tasks = await Promise.all([
      startTask('pg-backup-restore', values('a'), ALICE),
      startTask('pg-backup-restore', values('b'), BOB),
    ]);
    const ended = await Promise.all(
      tasks.map((t, i) => finished(t.id, i === 0 ? ALICE : BOB)),
    );
    expect(ended.map(t => t.status).sort()).toEqual(['completed', 'failed']);
    const winner = ended.findIndex(t => t.status === 'completed');
    const [won, lost] = [ended[winner], ended[1 - winner]];

    const started = await operationOf(o => !before.includes(o.id));
    expect(started).toHaveLength(1);
    const [op] = started;
    expect(op).toMatchObject({
      kind: 'restore',
      state: 'succeeded',
      requestedBy: winner === 0 ? ALICE : BOB,
      target: {
        kind: 'new-database',
        database: `${world.database}_e2e_${winner === 0 ? 'a' : 'b'}`,
      },
    });
    expect(messages(lost).join('\n')).toContain(
      `(409 ConflictError): operation ${op.id} (restore) of ${world.entityRef} is running`,
    );
    expect(await world.databases(`${world.database}_e2e_`)).toEqual([
      op.target!.database,
    ]);
    expect(await world.rowCounts(op.target!.database)).toEqual(
      (await world.manifest(world.keys.good)).rowCounts,
    );
    // Only the winner's restore and verify Jobs ran.
    expect(
      (await world.operationJobs(op.id))
        .map(j => j.metadata?.labels?.['app.kubernetes.io/component'])
        .sort(),
    ).toEqual(['restore', 'verify']);
    expect(await world.operationJobs()).toHaveLength(jobsBefore + 2);

    const figures = await overhead(
      'restore task (new database): task start',
      tasks[winner].startedAt,
      op,
      won.endedAt,
    );
    expect(figures.toRestoreJob).toBeLessThanOrEqual(OVERHEAD_TARGET_MS);
    expect(figures.fromLastJob).toBeLessThanOrEqual(OVERHEAD_TARGET_MS);
  });

  it('waits for approval before a live restore: refused when the requester approves, restored when another person does, rows as in the manifest', async () => {
    // A change after the backup, which the restore must take back.
    await sql(
      world.database,
      "INSERT INTO customers (name) VALUES ('after the backup')",
    );
    const keysBefore = await world.listKeys();
    const task = await startTask(
      'pg-backup-restore',
      {
        entity: world.entityRef,
        backupKey: world.keys.good,
        targetKind: 'live',
        confirmation: world.database,
        overwriteAcknowledged: true,
        reason: 'A faulty migration wrote bad customer rows',
      },
      ALICE,
    );
    const approvalId = await requestedApproval(task.id);
    await logLine(task.id, /Waiting for a decision on approval/);
    expect(
      notifications.sent.find(n => n.payload.scope === `approval:${approvalId}`)
        ?.recipients,
    ).toEqual({ type: 'entity', entityRef: ALICE, excludeEntityRef: ALICE });

    const self = await decide(approvalId, ALICE, 'approve', 'looks fine to me');
    expect(self.status).toBe(403);
    expect(self.body.error.message).toMatch(/can never approve it/);
    // Several polls later the task still waits, the request is still pending, nothing started.
    await sleep(4 * TIMING.approvalPollIntervalMs);
    expect((await portal.readTask(task.id, ALICE)).status).toBe('processing');
    expect(
      (await pg('GET', `/approvals/${approvalId}`, BOB)).body,
    ).toMatchObject({ state: 'pending' });
    expect(await operationOf(o => o.approvalId === approvalId)).toEqual([]);

    const approved = await decide(
      approvalId,
      BOB,
      'approve',
      'Checked with the team',
    );
    expect(approved.status).toBe(200);
    const approvedAt = Date.now();
    const done = await finished(task.id);
    expect({
      status: done.status,
      log: done.status === 'completed' ? [] : messages(done),
    }).toEqual({ status: 'completed', log: [] });
    expect(messages(done).join('\n')).toContain(
      `Approval ${approvalId} was approved by ${BOB}`,
    );

    const [op] = await operationOf(o => o.approvalId === approvalId);
    expect(op).toMatchObject({
      kind: 'restore',
      state: 'succeeded',
      requestedBy: ALICE,
      backupKey: world.keys.good,
      target: { kind: 'live', database: world.database },
    });
    expect(op.steps.map(s => [s.id, s.state])).toEqual([
      ['safety-backup', 'succeeded'],
      ['restore', 'succeeded'],
      ['verify', 'succeeded'],
    ]);
    // The live database, read with pg, has exactly the backup's rows; the safety backup has the
    // row added after it.
    const manifest = await world.manifest(world.keys.good);
    expect(await world.rowCounts(world.database)).toEqual(manifest.rowCounts);
    expect(manifest.rowCounts['public.customers']).toBe(50);
    const safety = (await world.listKeys()).filter(
      k => !keysBefore.includes(k) && k.endsWith('.dump'),
    );
    expect(safety).toHaveLength(1);
    expect(
      (await world.manifest(safety[0])).rowCounts['public.customers'],
    ).toBe(51);

    await overhead(
      'live restore task: approval decided',
      approvedAt,
      op,
      done.endedAt,
    );
  });

  it("fails a live restore that another person rejects, with the approver's comment, starting nothing", async () => {
    const before = await world.rowCounts(world.database);
    const task = await startTask(
      'pg-backup-restore',
      {
        entity: world.entityRef,
        targetKind: 'live',
        confirmation: world.database,
        overwriteAcknowledged: true,
        reason: 'Roll back the import of this morning',
      },
      ALICE,
    );
    const approvalId = await requestedApproval(task.id);
    const rejected = await decide(
      approvalId,
      BOB,
      'reject',
      'Restore into a new database first',
    );
    expect(rejected.status).toBe(200);
    const done = await finished(task.id);
    expect(done.status).toBe('failed');
    expect(messages(done).join('\n')).toMatch(
      new RegExp(
        `Approval ${approvalId} was rejected by user:default/bob at \\S+: "Restore into a new database first"`,
      ),
    );
    expect(await operationOf(o => o.approvalId === approvalId)).toEqual([]);
    expect(await world.rowCounts(world.database)).toEqual(before);
  });

  it('leaves the Deployments at their original replica counts when an emergency recovery fails mid-restore', async () => {
    for (const name of Object.keys(DEPLOYMENTS))
      world.replicaHistory[name] = [];
    const before = await world.rowCounts(world.database);
    const task = await startTask(
      'pg-backup-emergency-recovery',
      {
        entity: world.entityRef,
        // Its bytes no longer match its manifest: the agent fails while restoring.
        backupKey: world.keys.corrupt,
        confirmation: world.database,
        downtimeAcknowledged: true,
        reason: 'The database is corrupted after the deployment',
      },
      ALICE,
    );
    const approvalId = await requestedApproval(task.id);
    expect((await decide(approvalId, BOB, 'approve', 'go')).status).toBe(200);
    const done = await finished(task.id);
    expect(done.status).toBe('failed');

    const [op] = await operationOf(o => o.approvalId === approvalId);
    expect(op).toMatchObject({
      kind: 'emergency',
      state: 'failed',
      backupKey: world.keys.corrupt,
      recordedReplicas: DEPLOYMENTS,
    });
    expect(Object.fromEntries(op.steps.map(s => [s.id, s.state]))).toEqual({
      'scale-down': 'succeeded',
      'check-postgres': 'succeeded',
      'safety-backup': 'succeeded',
      restore: 'failed',
      verify: 'cancelled',
      'scale-back': 'succeeded',
    });
    expect(messages(done).join('\n')).toMatch(
      new RegExp(
        `The emergency operation ${op.id} failed at step restore .*; scale-back to backend=3, worker=2: succeeded`,
      ),
    );
    // Scaled to 0 and back, as an independent admin client sees it; the data untouched.
    expect(world.replicaHistory).toEqual({ backend: [0, 3], worker: [0, 2] });
    expect(await world.replicas()).toEqual(DEPLOYMENTS);
    expect(await world.rowCounts(world.database)).toEqual(before);
  });
});
