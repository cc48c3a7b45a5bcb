import { createHash } from 'node:crypto';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { JsonObject } from '@backstage/types';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import permissionPlugin from '@backstage/plugin-permission-backend';
import {
  ApprovalRequest,
  RecoveryOperation,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import request from 'supertest';
import { pgBackupPlugin } from '../plugin';
import {
  USERS,
  recordingAuditor,
  recordingNotifications,
  testPolicyModule,
} from '../__testUtils__/testWorld';
import {
  DEPLOYMENTS,
  DR_NAMESPACE,
  RecoveryWorld,
  sql,
} from '../__testUtils__/recoveryWorld';
import { waitForCatalog } from '../__testUtils__/testBackend';

jest.setTimeout(180_000);

const SHOP = '/api/pg-backup/entities/resource/default/shop-postgresql';
const as = (user: string) => mockCredentials.user.header(user);
const TERMINAL = ['succeeded', 'failed', 'cancelled'];

// These tests run real restore, verify, backup and dropdb Jobs: the sandbox runs the backup
// agent (packages/backup-agent) against the local PostgreSQL 15 and moto S3.
describe('recovery operations against the sandbox cluster, S3 and PostgreSQL', () => {
  let world: RecoveryWorld;
  let backend: Awaited<ReturnType<typeof startTestBackend>>;
  let server: any;
  const notifications = recordingNotifications();
  const auditor = recordingAuditor();

  beforeAll(async () => {
    world = await RecoveryWorld.start();
    backend = await startTestBackend({
      features: [
        pgBackupPlugin,
        catalogPlugin,
        permissionPlugin,
        testPolicyModule,
        mockServices.rootConfig.factory({ data: world.config() as JsonObject }),
        notifications.factory,
        auditor.factory,
      ],
    });
    server = backend.server;
    await waitForCatalog(server, `${SHOP}/health`);
  });

  afterAll(async () => {
    await backend?.stop();
    await world?.stop();
  });

  const start = (user: string, body: object) =>
    request(server)
      .post(`${SHOP}/operations`)
      .set('Authorization', as(user))
      .send(body);

  async function finished(id: string): Promise<RecoveryOperation> {
    const until = Date.now() + 120_000;
    for (;;) {
      const res = await request(server)
        .get(`/api/pg-backup/operations/${id}`)
        .set('Authorization', as(USERS.owner));
      expect(res.status).toBe(200);
      if (TERMINAL.includes(res.body.state) || Date.now() > until)
        return res.body;
      await new Promise(r => setTimeout(r, 100));
    }
  }

  async function approved(
    body: object,
    approver = USERS.other,
  ): Promise<ApprovalRequest> {
    const created = await request(server)
      .post(`${SHOP}/approvals`)
      .set('Authorization', as(USERS.owner))
      .send(body);
    expect(created.status).toBe(201);
    const decided = await request(server)
      .post(`/api/pg-backup/approvals/${created.body.id}/decision`)
      .set('Authorization', as(approver))
      .send({ decision: 'approve', comment: 'go ahead' });
    expect(decided.status).toBe(200);
    return decided.body;
  }

  const stepStates = (op: RecoveryOperation) =>
    Object.fromEntries(op.steps.map(s => [s.id, s.state]));

  it('plans a dry run and changes nothing: no operation, no Job, no lock', async () => {
    const plan = await start(USERS.owner, { kind: 'restore', dryRun: true });
    expect(plan.status).toBe(200);
    expect(plan.body).toMatchObject({
      kind: 'restore',
      entityRef: world.entityRef,
      backupKey: world.keys.good,
      target: {
        kind: 'new-database',
        database: expect.stringMatching(
          new RegExp(`^${world.database}_restored_\\d{12}$`),
        ),
      },
      approval: 'not-needed',
      problems: [],
    });
    expect(plan.body.steps.map((s: { id: string }) => s.id)).toEqual([
      'restore',
      'verify',
    ]);

    const live = await start(USERS.owner, {
      kind: 'restore',
      target: { kind: 'live', database: world.database },
      dryRun: true,
    });
    expect(live.status).toBe(200);
    expect(live.body.approval).toBe('missing');
    expect(live.body.steps.map((s: { id: string }) => s.id)).toEqual([
      'safety-backup',
      'restore',
      'verify',
    ]);
    expect(live.body.problems).toEqual([
      expect.stringMatching(/confirmation: type the database name/),
      expect.stringMatching(/needs an approval/),
    ]);

    const emergency = await start(USERS.owner, {
      kind: 'emergency',
      dryRun: true,
    });
    expect(emergency.body.steps.map((s: { id: string }) => s.id)).toEqual([
      'scale-down',
      'check-postgres',
      'safety-backup',
      'restore',
      'verify',
      'scale-back',
    ]);

    const history = await request(server)
      .get(`${SHOP}/operations`)
      .set('Authorization', as(USERS.owner));
    expect(history.body.items).toEqual([]);
    expect(await world.operationJobs()).toEqual([]);
    expect(await world.replicas()).toEqual(DEPLOYMENTS);
  });

  it('refuses bad requests with 400 naming the problem, before anything starts', async () => {
    const cases: Array<[object, RegExp]> = [
      [
        { kind: 'restore', backupKey: world.keys.incomplete },
        new RegExp(
          `backup ${world.keys.incomplete} has no manifest .* verify it first to adopt it`,
        ),
      ],
      [
        { kind: 'restore', backupKey: 'elsewhere/x.dump' },
        /not under this database's prefix/,
      ],
      [
        { kind: 'restore', backupKey: `${world.keys.good}.missing.dump` },
        /does not exist/,
      ],
      [
        { kind: 'verify', target: { kind: 'new-database', database: 'x' } },
        /target is only for restore/,
      ],
      [
        {
          kind: 'restore',
          target: { kind: 'new-database', database: world.database },
        },
        /is the live database/,
      ],
      [{ kind: 'rewind' }, /kind: Invalid enum value/],
      [{ kind: 'restore', surprise: true }, /Unrecognized key/],
    ];
    for (const [body, message] of cases) {
      const res = await start(USERS.owner, body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(res.body.error.message).toMatch(message);
    }
    expect(await world.operationJobs()).toEqual([]);
  });

  it('restores into a new database: one of two concurrent requests runs, the other gets 409; idempotent; rows match the manifest', async () => {
    const bodies = [
      { kind: 'restore', idempotencyKey: 'task-1:restore' },
      {
        kind: 'restore',
        target: { kind: 'new-database', database: `${world.database}_other` },
        idempotencyKey: 'task-2:restore',
      },
    ];
    const responses = await Promise.all(bodies.map(b => start(USERS.owner, b)));
    expect(responses.map(r => r.status).sort()).toEqual([202, 409]);
    const winner = responses.findIndex(r => r.status === 202);
    const [accepted, refused] = [responses[winner], responses[1 - winner]];
    expect(refused.body.error.message).toContain(
      `operation ${accepted.body.id} (restore)`,
    );
    expect(accepted.body).toMatchObject({
      kind: 'restore',
      requestedBy: USERS.owner,
      backupKey: world.keys.good,
    });
    // The same idempotency key again (a retried scaffolder step): the same operation, not a 409.
    const again = await start(USERS.owner, bodies[winner]);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(accepted.body.id);

    const op = await finished(accepted.body.id);
    expect(op.state).toBe('succeeded');
    expect(stepStates(op)).toEqual({
      restore: 'succeeded',
      verify: 'succeeded',
    });
    expect(op.verification?.passed).toBe(true);
    const target = op.target!.database;
    const manifest = await world.manifest(world.keys.good);
    expect(await world.rowCounts(target)).toEqual(manifest.rowCounts);

    // Exactly one restore and one verify Job, built from the CronJob, ownerless and marked.
    const jobs = await world.operationJobs(op.id);
    expect(
      jobs.map(j => j.metadata?.labels?.['app.kubernetes.io/component']).sort(),
    ).toEqual(['restore', 'verify']);
    const restoreJob = jobs.find(
      j => j.metadata?.labels?.['app.kubernetes.io/component'] === 'restore',
    )!;
    expect(restoreJob.metadata?.ownerReferences ?? []).toEqual([]);
    expect(restoreJob.spec?.ttlSecondsAfterFinished).toBe(86_400);
    const container = restoreJob.spec!.template.spec!.containers[0];
    expect(container.image).toBe('ghcr.io/qawave/pg-backup-agent:0.1.0');
    expect(container.args).toEqual(['restore']);
    expect(
      container.envFrom?.map(e => e.configMapRef?.name ?? e.secretRef?.name),
    ).toEqual(['postgresql-backup-config', 'backup-s3-credentials']);
    expect(
      Object.fromEntries(
        (container.env ?? []).map(e => [e.name, e.value ?? 'from a Secret']),
      ),
    ).toEqual({
      PGPASSWORD: 'from a Secret',
      BACKUP_FILE: world.keys.good.slice('postgresql/daily/'.length),
      TARGET_DATABASE: target,
      S3_BUCKET: 'shop-backups',
      S3_PREFIX: 'postgresql/daily/',
      RESTORE_OVERWRITE: 'false',
    });

    // The restore Job's log is the entity's, like its backup Jobs' logs.
    const log = await request(server)
      .get(`${SHOP}/jobs/${restoreJob.metadata!.name}/logs?tailLines=50`)
      .set('Authorization', as(USERS.owner));
    expect(log.status).toBe(200);
    expect(log.text).toContain(`-> database "${target}"`);

    // Orchestration overhead, from the sandbox's own record of the Jobs.
    const restoreCreated = world.jobTimes.get(restoreJob.metadata!.name!)!
      .created!;
    const lastJob = jobs
      .map(j => world.jobTimes.get(j.metadata!.name!)!.finished!)
      .sort()
      .pop()!;
    const startToJob = restoreCreated - Date.parse(op.createdAt);
    const jobToEnd = Date.parse(op.finishedAt!) - lastJob;
    // eslint-disable-next-line no-console
    console.log(
      `orchestration overhead: operation start -> restore Job created ${startToJob} ms; last Job finished -> operation finished ${jobToEnd} ms`,
    );
    expect(startToJob).toBeLessThanOrEqual(5_000);
    expect(jobToEnd).toBeLessThanOrEqual(5_000);
  });

  it('restores into another namespace (recovery to a new cluster) with the Jobs there', async () => {
    const database = `${world.database}_dr`;
    const started = await start(USERS.owner, {
      kind: 'restore',
      target: { kind: 'other-namespace', namespace: DR_NAMESPACE, database },
    });
    expect(started.status).toBe(202);
    const op = await finished(started.body.id);
    expect(op.state).toBe('succeeded');
    const { batch } = world.admin();
    const jobs = await batch.listNamespacedJob({
      namespace: DR_NAMESPACE,
      labelSelector: `pg-backup.io/operation=${op.id}`,
    });
    expect(jobs.items).toHaveLength(2);
    expect(await world.rowCounts(database)).toEqual(
      (await world.manifest(world.keys.good)).rowCounts,
    );
    const unknown = await start(USERS.owner, {
      kind: 'restore',
      target: {
        kind: 'other-namespace',
        namespace: 'x',
        cluster: 'mars',
        database,
      },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toMatch(
      /cluster 'mars' is not configured/,
    );
  });

  it('runs a drill: measured RTO recorded, served by GET drills, in health and in the fleet, scratch database dropped', async () => {
    // The fleet's snapshots exist before the drill, so the drill must update them itself.
    const fleetEntry = async () =>
      (
        await request(server)
          .get('/api/pg-backup/fleet')
          .set('Authorization', as(USERS.owner))
      ).body.items.find(
        (i: { entityRef: string }) => i.entityRef === world.entityRef,
      );
    expect((await fleetEntry()).lastDrill).toBeUndefined();
    const checklist = [
      { phase: 'pre', item: 'Stakeholders notified', done: true },
      { phase: 'post', item: 'Data integrity confirmed', done: true },
    ];
    const started = await start(USERS.owner, {
      kind: 'drill',
      checklist,
      notes: 'Restore took seconds; nothing to learn yet.',
    });
    expect(started.status).toBe(202);
    const op = await finished(started.body.id);
    expect(op.state).toBe('succeeded');
    expect(stepStates(op)).toEqual({
      restore: 'succeeded',
      verify: 'succeeded',
      cleanup: 'succeeded',
      record: 'succeeded',
    });
    expect(op.measuredRtoMs).toBeGreaterThan(0);
    expect(op.measuredRtoMs).toBeLessThan(
      Date.parse(op.finishedAt!) - Date.parse(op.createdAt),
    );
    expect(op.rtoObjectiveMs).toBe(3_600_000);
    expect(op.steps.find(s => s.id === 'record')?.detail).toMatch(
      /measured RTO .* within the objective of 1h/,
    );
    expect(await world.databases(`${world.database}_verify_`)).toEqual([]);

    const drills = await request(server)
      .get(`${SHOP}/drills`)
      .set('Authorization', as(USERS.owner));
    expect(drills.status).toBe(200);
    expect(drills.body.items[0]).toMatchObject({
      passed: true,
      measuredRtoMs: op.measuredRtoMs,
      rtoObjectiveMs: 3_600_000,
      recordedBy: USERS.owner,
      backupKey: world.keys.good,
      operationId: op.id,
      checklist,
      notes: 'Restore took seconds; nothing to learn yet.',
    });
    expect(drills.body.items[0].checks.length).toBeGreaterThan(3);

    const health = await request(server)
      .get(`${SHOP}/health`)
      .set('Authorization', as(USERS.owner));
    expect(health.body.lastDrill).toMatchObject({
      passed: true,
      measuredRtoMs: op.measuredRtoMs,
    });
    const codes = health.body.health.findings.map(
      (f: { code: string }) => f.code,
    );
    expect(codes).not.toContain('drill-never-run');
    expect(codes).not.toContain('backup-never-verified');
    const backups = await request(server)
      .get(`${SHOP}/backups?limit=1`)
      .set('Authorization', as(USERS.owner));
    expect(backups.body.items[0]).toMatchObject({
      key: world.keys.good,
      verification: 'passed',
    });
    // The snapshot is refreshed right after the drill is recorded (in the background).
    let fleetRto: number | undefined;
    for (let tries = 0; tries < 50 && fleetRto === undefined; tries++) {
      fleetRto = (await fleetEntry()).lastDrill?.measuredRtoMs;
      if (fleetRto === undefined) await new Promise(r => setTimeout(r, 200));
    }
    expect(fleetRto).toBe(op.measuredRtoMs);
  });

  it("restores over the live database only with another person's approval, after a safety backup", async () => {
    const liveTarget = { kind: 'live', database: world.database };
    const body = {
      kind: 'restore',
      target: liveTarget,
      confirmation: world.database,
      reason: 'bad migration',
    };
    const unapproved = await start(USERS.owner, body);
    expect(unapproved.status).toBe(403);
    expect(unapproved.body.error.message).toMatch(/needs an approval/);
    const unconfirmed = await start(USERS.owner, {
      ...body,
      confirmation: 'qawave',
    });
    expect(unconfirmed.status).toBe(400);
    expect(unconfirmed.body.error.message).toMatch(/got "qawave"/);

    // An approval of a restore into a new database does not cover one over the live database.
    const narrow = await approved({
      kind: 'restore',
      reason: 'look at old data',
    });
    const widened = await start(USERS.owner, {
      ...body,
      approvalId: narrow.id,
    });
    expect(widened.status).toBe(403);
    expect(widened.body.error.message).toMatch(
      /does not approve a restore over the live database/,
    );

    const requested = await request(server)
      .post(`${SHOP}/approvals`)
      .set('Authorization', as(USERS.owner))
      .send({ kind: 'restore', target: liveTarget, reason: 'bad migration' });
    expect(requested.status).toBe(201);
    expect(requested.body).toMatchObject({
      state: 'pending',
      requestedBy: USERS.owner,
      backupKey: world.keys.good,
    });
    expect(
      Date.parse(requested.body.expiresAt) -
        Date.parse(requested.body.createdAt),
    ).toBe(4 * 3_600_000);
    expect(
      notifications.sent.find(
        n => n.payload.scope === `approval:${requested.body.id}`,
      )?.recipients,
    ).toEqual({
      type: 'entity',
      entityRef: USERS.owner,
      excludeEntityRef: USERS.owner,
    });

    const pendingForBob = await request(server)
      .get('/api/pg-backup/approvals?state=pending')
      .set('Authorization', as(USERS.other));
    expect(pendingForBob.body.items.map((a: { id: string }) => a.id)).toEqual([
      requested.body.id,
    ]);
    const entityApprovals = await request(server)
      .get(`${SHOP}/approvals`)
      .set('Authorization', as(USERS.other));
    expect(
      entityApprovals.body.items.map((a: ApprovalRequest) => [a.id, a.state]),
    ).toEqual([
      [requested.body.id, 'pending'],
      [narrow.id, 'approved'],
    ]);
    const pendingForAlice = await request(server)
      .get('/api/pg-backup/approvals?state=pending')
      .set('Authorization', as(USERS.owner));
    expect(pendingForAlice.body.items).toEqual([]);

    const self = await request(server)
      .post(`/api/pg-backup/approvals/${requested.body.id}/decision`)
      .set('Authorization', as(USERS.owner))
      .send({ decision: 'approve' });
    expect(self.status).toBe(403);
    expect(self.body.error.message).toMatch(/can never approve it/);
    const stillPending = await start(USERS.owner, {
      ...body,
      approvalId: requested.body.id,
    });
    expect(stillPending.status).toBe(403);
    expect(stillPending.body.error.message).toMatch(/is still pending/);

    const decided = await request(server)
      .post(`/api/pg-backup/approvals/${requested.body.id}/decision`)
      .set('Authorization', as(USERS.other))
      .send({ decision: 'approve', comment: 'checked with the team' });
    expect(decided.status).toBe(200);
    expect(decided.body).toMatchObject({
      state: 'approved',
      decidedBy: USERS.other,
      comment: 'checked with the team',
    });
    const twice = await request(server)
      .post(`/api/pg-backup/approvals/${requested.body.id}/decision`)
      .set('Authorization', as(USERS.other))
      .send({ decision: 'reject' });
    expect(twice.status).toBe(409);

    // The approver may not run what they approved.
    const byApprover = await start(USERS.other, {
      ...body,
      approvalId: requested.body.id,
    });
    expect(byApprover.status).toBe(403);
    expect(byApprover.body.error.message).toMatch(
      /must be approved by someone else/,
    );

    // Changes after the backup, which the restore must take back.
    await sql(
      world.database,
      "INSERT INTO customers (name) VALUES ('after the backup')",
    );
    const keysBefore = await world.listKeys();
    const started = await start(USERS.owner, {
      ...body,
      approvalId: requested.body.id,
    });
    expect(started.status).toBe(202);
    const op = await finished(started.body.id);
    expect(op.state).toBe('succeeded');
    expect(stepStates(op)).toEqual({
      'safety-backup': 'succeeded',
      restore: 'succeeded',
      verify: 'succeeded',
    });
    expect(op.approvalId).toBe(requested.body.id);
    const safety = (await world.listKeys()).filter(
      k => !keysBefore.includes(k) && k.endsWith('.dump'),
    );
    expect(safety).toHaveLength(1);
    expect(op.steps[0].detail).toBe(`safety backup ${safety[0]}`);
    const safetyManifest = await world.manifest(safety[0]);
    expect(safetyManifest.rowCounts['public.customers']).toBe(51);
    const manifest = await world.manifest(world.keys.good);
    expect(await world.rowCounts(world.database)).toEqual(manifest.rowCounts);
    const restoreJob = (await world.operationJobs(op.id)).find(
      j => j.metadata?.labels?.['app.kubernetes.io/component'] === 'restore',
    )!;
    expect(
      restoreJob.spec!.template.spec!.containers[0].env?.find(
        e => e.name === 'RESTORE_OVERWRITE',
      )?.value,
    ).toBe('true');

    const reused = await start(USERS.owner, {
      ...body,
      approvalId: requested.body.id,
    });
    expect(reused.status).toBe(403);
    expect(reused.body.error.message).toMatch(/already used by operation/);

    const audited = auditor.events.filter(
      e => e.eventId === 'recovery-approval-decision',
    );
    expect(audited.map(e => e.outcome)).toEqual([
      'success',
      'fail',
      'success',
      'fail',
    ]);
  });

  it('runs an emergency recovery: Deployments scaled to 0, restored over live, verified, scaled back', async () => {
    for (const name of Object.keys(DEPLOYMENTS))
      world.replicaHistory[name] = [];
    const approval = await approved({
      kind: 'emergency',
      reason: 'database corrupted',
    });
    const started = await start(USERS.owner, {
      kind: 'emergency',
      approvalId: approval.id,
      confirmation: world.database,
    });
    expect(started.status).toBe(202);
    const op = await finished(started.body.id);
    expect(op.state).toBe('succeeded');
    expect(op.recordedReplicas).toEqual(DEPLOYMENTS);
    expect(op.measuredRtoMs).toBeGreaterThan(0);
    expect(stepStates(op)).toEqual({
      'scale-down': 'succeeded',
      'check-postgres': 'succeeded',
      'safety-backup': 'succeeded',
      restore: 'succeeded',
      verify: 'succeeded',
      'scale-back': 'succeeded',
    });
    expect(world.replicaHistory).toEqual({ backend: [0, 3], worker: [0, 2] });
    expect(await world.replicas()).toEqual(DEPLOYMENTS);
  });

  it('leaves the Deployments at their original replicas when an emergency recovery fails mid-restore', async () => {
    for (const name of Object.keys(DEPLOYMENTS))
      world.replicaHistory[name] = [];
    const before = await world.rowCounts(world.database);
    const approval = await approved({
      kind: 'emergency',
      backupKey: world.keys.corrupt,
      reason: 'try the older backup',
    });
    const started = await start(USERS.owner, {
      kind: 'emergency',
      approvalId: approval.id,
      confirmation: world.database,
    });
    expect(started.status).toBe(202);
    expect(started.body.backupKey).toBe(world.keys.corrupt);
    const op = await finished(started.body.id);
    expect(op.state).toBe('failed');
    expect(stepStates(op)).toEqual({
      'scale-down': 'succeeded',
      'check-postgres': 'succeeded',
      'safety-backup': 'succeeded',
      restore: 'failed',
      verify: 'cancelled',
      'scale-back': 'succeeded',
    });
    expect(op.steps.find(s => s.id === 'restore')?.detail).toMatch(
      /failed .*the live database was left as it was/,
    );
    expect(op.error).toMatch(/job pg-backup-restore-/);
    expect(world.replicaHistory).toEqual({ backend: [0, 3], worker: [0, 2] });
    // An independent client sees the Deployments back where they were, and the data untouched.
    expect(await world.replicas()).toEqual(DEPLOYMENTS);
    expect(await world.rowCounts(world.database)).toEqual(before);
  });

  it('scales back when an emergency recovery is cancelled', async () => {
    const approval = await approved({
      kind: 'emergency',
      reason: 'drill gone live',
    });
    const started = await start(USERS.owner, {
      kind: 'emergency',
      approvalId: approval.id,
      confirmation: world.database,
    });
    expect(started.status).toBe(202);
    const id = started.body.id;
    for (let i = 0; i < 200; i++) {
      const res = await request(server)
        .get(`/api/pg-backup/operations/${id}`)
        .set('Authorization', as(USERS.owner));
      if (res.body.recordedReplicas) break;
      await new Promise(r => setTimeout(r, 50));
    }
    const denied = await request(server)
      .post(`/api/pg-backup/operations/${id}/cancel`)
      .set('Authorization', as(USERS.nobody));
    expect(denied.status).toBe(403);
    const cancel = await request(server)
      .post(`/api/pg-backup/operations/${id}/cancel`)
      .set('Authorization', as(USERS.owner));
    expect(cancel.status).toBe(202);
    const op = await finished(id);
    expect(op.state).toBe('cancelled');
    expect(op.steps.find(s => s.id === 'scale-back')?.state).toBe('succeeded');
    expect(await world.replicas()).toEqual(DEPLOYMENTS);
    const again = await request(server)
      .post(`/api/pg-backup/operations/${id}/cancel`)
      .set('Authorization', as(USERS.owner));
    expect(again.status).toBe(409);
  });

  it('audits every start and refusal, and checks a permission on every route', async () => {
    const starts = auditor.events.filter(
      e => e.eventId === 'recovery-operation',
    );
    expect(starts.filter(e => e.outcome === 'success').length).toBeGreaterThan(
      5,
    );
    expect(starts.filter(e => e.outcome === 'fail').length).toBeGreaterThan(5);
    expect(
      starts.every(e => e.hasRequest && e.meta?.entityRef === world.entityRef),
    ).toBe(true);

    const history = await request(server)
      .get(`${SHOP}/operations`)
      .set('Authorization', as(USERS.owner));
    const [newest] = history.body.items;
    const approvals = await request(server)
      .get(`${SHOP}/approvals`)
      .set('Authorization', as(USERS.owner));
    const [approval] = approvals.body.items;
    const routes: Array<[string, string, object?]> = [
      ['post', `${SHOP}/operations`, { kind: 'verify' }],
      ['post', `${SHOP}/operations`, { kind: 'restore' }],
      ['get', `${SHOP}/operations`],
      ['get', `/api/pg-backup/operations/${newest.id}`],
      ['post', `/api/pg-backup/operations/${newest.id}/cancel`],
      ['post', `${SHOP}/approvals`, { kind: 'restore', reason: 'x' }],
      ['get', `${SHOP}/approvals`],
      ['get', `/api/pg-backup/approvals/${approval.id}`],
      [
        'post',
        `/api/pg-backup/approvals/${approval.id}/decision`,
        { decision: 'reject' },
      ],
      ['get', `${SHOP}/drills`],
    ];
    for (const [method, url, body] of routes) {
      const res = await (request(server) as any)
        [method](url)
        .set('Authorization', as(USERS.nobody))
        .send(body);
      expect({ url, status: res.status }).toEqual({ url, status: 403 });
      const anonymous = await (request(server) as any)
        [method](url)
        .set('Authorization', 'Bearer not-a-token')
        .send(body);
      expect({ url, status: anonymous.status }).toEqual({ url, status: 401 });
    }
    const pending = await request(server)
      .get('/api/pg-backup/approvals')
      .set('Authorization', as(USERS.nobody));
    expect(pending.body.items).toEqual([]);
  });

  it("lets a backend service read one approval (the scaffolder's long wait), and nothing else", async () => {
    // The token the scaffolder module sends with its own service credentials.
    const scaffolder = mockCredentials.service.header({
      onBehalfOf: mockCredentials.service('plugin:scaffolder'),
      targetPluginId: 'pg-backup',
    });
    const requested = await request(server)
      .post(`${SHOP}/approvals`)
      .set('Authorization', as(USERS.owner))
      .send({ kind: 'emergency', reason: 'waited on by a task' });
    expect(requested.status).toBe(201);
    const id = requested.body.id;

    const read = await request(server)
      .get(`/api/pg-backup/approvals/${id}`)
      .set('Authorization', scaffolder);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({
      id,
      state: 'pending',
      requestedBy: USERS.owner,
    });
    // Users still need the read permission.
    const byNobody = await request(server)
      .get(`/api/pg-backup/approvals/${id}`)
      .set('Authorization', as(USERS.nobody));
    expect(byNobody.status).toBe(403);
    const missing = await request(server)
      .get('/api/pg-backup/approvals/00000000-0000-4000-8000-000000000000')
      .set('Authorization', scaffolder);
    expect(missing.status).toBe(404);

    const history = await request(server)
      .get(`${SHOP}/operations`)
      .set('Authorization', as(USERS.owner));
    // Any operation (the earlier tests started some), or an id that names none.
    const operationId =
      history.body.items[0]?.id ?? '00000000-0000-4000-8000-000000000001';
    const jobsBefore = (await world.operationJobs()).length;
    const routes: Array<[string, string, object?]> = [
      ['get', '/api/pg-backup/approvals'],
      ['get', `${SHOP}/approvals`],
      [
        'post',
        `/api/pg-backup/approvals/${id}/decision`,
        { decision: 'approve', comment: 'a service may not decide' },
      ],
      ['post', `${SHOP}/approvals`, { kind: 'restore', reason: 'x' }],
      ['get', `${SHOP}/operations`],
      ['post', `/api/pg-backup/operations/${operationId}/cancel`],
      ['get', `${SHOP}/drills`],
    ];
    for (const [method, url, body] of routes) {
      for (const token of [scaffolder, mockCredentials.service.header()]) {
        const res = await (request(server) as any)
          [method](url)
          .set('Authorization', token)
          .send(body);
        expect({ method, url, status: res.status }).toEqual({
          method,
          url,
          status: 403,
        });
        expect(res.body.error.message).toMatch(
          /does not allow 'service' credentials/,
        );
      }
    }
    // Starting needs an approval that covers the operation, and only a trusted service may.
    const refusedStarts: Array<[string, object, RegExp]> = [
      [
        scaffolder,
        { kind: 'verify' },
        /only start an operation an approval covers/,
      ],
      [scaffolder, { kind: 'drill', dryRun: true }, /cannot plan dry runs/],
      [
        mockCredentials.service.header(),
        { kind: 'verify' },
        /service external:test-service may not start operations/,
      ],
    ];
    for (const [token, body, message] of refusedStarts) {
      const res = await request(server)
        .post(`${SHOP}/operations`)
        .set('Authorization', token)
        .send(body);
      expect(res.status).toBe(403);
      expect(res.body.error.message).toMatch(message);
    }
    // Reading an operation is for trusted services only.
    const untrustedRead = await request(server)
      .get(`/api/pg-backup/operations/${operationId}`)
      .set('Authorization', mockCredentials.service.header());
    expect(untrustedRead.status).toBe(403);
    expect(untrustedRead.body.error.message).toMatch(
      /may not read operations; only a person, or a service listed in pgBackup.recovery.trustedServices \(plugin:scaffolder\)/,
    );

    const after = await request(server)
      .get(`/api/pg-backup/approvals/${id}`)
      .set('Authorization', as(USERS.other));
    expect(after.body).toMatchObject({ state: 'pending' });
    expect(after.body.decidedBy).toBeUndefined();
    const historyAfter = await request(server)
      .get(`${SHOP}/operations`)
      .set('Authorization', as(USERS.owner));
    expect(historyAfter.body.items).toHaveLength(history.body.items.length);
    expect(await world.operationJobs()).toHaveLength(jobsBefore);
  });
  it("lets the scaffolder start a live restore with another person's approval, for its requester, and follow it", async () => {
    const serviceToken = (subject: string) =>
      mockCredentials.service.header({
        onBehalfOf: mockCredentials.service(subject),
        targetPluginId: 'pg-backup',
      });
    const scaffolder = serviceToken('plugin:scaffolder');
    const catalog = serviceToken('plugin:catalog');
    const startAs = (token: string, body: object) =>
      request(server)
        .post(`${SHOP}/operations`)
        .set('Authorization', token)
        .send(body);
    const liveTarget = { kind: 'live', database: world.database };
    const body = {
      kind: 'restore',
      target: liveTarget,
      confirmation: world.database,
      reason: 'the task waited for the approval',
    };
    const operationCount = async () =>
      (
        await request(server)
          .get(`${SHOP}/operations?limit=100`)
          .set('Authorization', as(USERS.owner))
      ).body.items.length;
    const countBefore = await operationCount();
    const jobsBefore = (await world.operationJobs()).length;

    const requestLive = async () => {
      const res = await request(server)
        .post(`${SHOP}/approvals`)
        .set('Authorization', as(USERS.owner))
        .send({ kind: 'restore', target: liveTarget, reason: 'bad migration' });
      expect(res.status).toBe(201);
      return res.body as ApprovalRequest;
    };
    const pending = await requestLive();
    const rejected = await requestLive();
    const rejecting = await request(server)
      .post(`/api/pg-backup/approvals/${rejected.id}/decision`)
      .set('Authorization', as(USERS.other))
      .send({ decision: 'reject', comment: 'not now' });
    expect(rejecting.status).toBe(200);
    // Approves a restore into a new database, which needs no approval.
    const narrow = await approved({ kind: 'restore', reason: 'old data' });
    const valid = await approved({
      kind: 'restore',
      target: liveTarget,
      reason: 'bad migration',
    });

    const refusals: Array<[string, string, object, RegExp]> = [
      [
        'no approval',
        scaffolder,
        body,
        /service plugin:scaffolder may only start an operation an approval covers/,
      ],
      [
        'pending',
        scaffolder,
        { ...body, approvalId: pending.id },
        /is still pending/,
      ],
      [
        'rejected',
        scaffolder,
        { ...body, approvalId: rejected.id },
        /was rejected by user:default\/bob: not now/,
      ],
      [
        'needs no approval',
        scaffolder,
        { kind: 'restore', approvalId: narrow.id },
        /needs no approval/,
      ],
      [
        'dry run',
        scaffolder,
        { ...body, approvalId: valid.id, dryRun: true },
        /cannot plan dry runs/,
      ],
      [
        'untrusted service',
        catalog,
        { ...body, approvalId: valid.id },
        /service plugin:catalog may not start operations/,
      ],
    ];
    for (const [what, token, refused, message] of refusals) {
      const res = await startAs(token, refused);
      expect({ what, status: res.status }).toEqual({ what, status: 403 });
      expect(res.body.error.message).toMatch(message);
    }
    expect(await operationCount()).toBe(countBefore);
    expect(await world.operationJobs()).toHaveLength(jobsBefore);

    const started = await startAs(scaffolder, {
      ...body,
      approvalId: valid.id,
      idempotencyKey: 'task-7:restore',
    });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({
      kind: 'restore',
      approvalId: valid.id,
      requestedBy: USERS.owner,
      target: liveTarget,
    });
    const event = auditor.events.find(
      e =>
        e.eventId === 'recovery-operation' &&
        e.outcomeMeta?.operationId === started.body.id,
    );
    expect(event).toMatchObject({
      outcome: 'success',
      outcomeMeta: {
        startedByService: 'plugin:scaffolder',
        requestedBy: USERS.owner,
        startedFor: `started by service plugin:scaffolder for ${USERS.owner}, with approval ${valid.id}`,
      },
    });
    // A retried task gets the same operation; its approval is used now.
    const replayed = await startAs(scaffolder, {
      ...body,
      approvalId: valid.id,
      idempotencyKey: 'task-7:restore',
    });
    expect(replayed.status).toBe(200);
    expect(replayed.body.id).toBe(started.body.id);

    // The service follows it: the operation and its Jobs' logs, read-only.
    const read = await request(server)
      .get(`/api/pg-backup/operations/${started.body.id}`)
      .set('Authorization', scaffolder);
    expect(read.status).toBe(200);
    expect(read.body.requestedBy).toBe(USERS.owner);
    const byCatalog = await request(server)
      .get(`/api/pg-backup/operations/${started.body.id}`)
      .set('Authorization', catalog);
    expect(byCatalog.status).toBe(403);
    const op = await finished(started.body.id);
    expect(op.state).toBe('succeeded');
    const restoreJob = (await world.operationJobs(op.id)).find(
      j => j.metadata?.labels?.['app.kubernetes.io/component'] === 'restore',
    )!;
    const log = await request(server)
      .get(`${SHOP}/jobs/${restoreJob.metadata!.name}/logs?tailLines=50`)
      .set('Authorization', scaffolder);
    expect(log.status).toBe(200);
    const cancel = await request(server)
      .post(`/api/pg-backup/operations/${op.id}/cancel`)
      .set('Authorization', scaffolder);
    expect(cancel.status).toBe(403);

    const reused = await startAs(scaffolder, {
      ...body,
      approvalId: valid.id,
    });
    expect(reused.status).toBe(403);
    expect(reused.body.error.message).toMatch(/already used by operation/);
    expect(await operationCount()).toBe(countBefore + 1);
  });

  // Last: it writes a manifest for the dump the other tests use as the one without.
  it('adopts a dump without a manifest by verifying it: restored, manifest written from the restored copy, then listed as verified', async () => {
    const key = world.keys.incomplete;
    const listed = async () =>
      (
        await request(server)
          .get(`${SHOP}/backups?limit=10`)
          .set('Authorization', as(USERS.owner))
      ).body.items.find((b: { key: string }) => b.key === key);
    expect(await listed()).toMatchObject({ complete: false });

    const started = await start(USERS.owner, {
      kind: 'verify',
      backupKey: key,
    });
    expect(started.status).toBe(202);
    const op = await finished(started.body.id);
    expect({ state: op.state, error: op.error }).toEqual({
      state: 'succeeded',
      error: undefined,
    });
    expect(op.steps.find(s => s.id === 'verify')?.title).toMatch(
      /^Adopt .*: write its manifest from .* \(it has none: made outside pg-backup\)$/,
    );
    expect(op.verification).toMatchObject({ backupKey: key, passed: true });
    expect(await world.databases(`${world.database}_verify_`)).toEqual([]);

    // The manifest is what the agent would have written: the dump's bytes, the restored facts.
    const dump = await world.read(key);
    expect(await world.manifest(key)).toMatchObject({
      formatVersion: 1,
      key,
      sizeBytes: dump.length,
      sha256: createHash('sha256').update(dump).digest('hex'),
      rowCounts: (await world.manifest(world.keys.good)).rowCounts,
    });
    expect(await listed()).toMatchObject({
      complete: true,
      verification: 'passed',
    });
    // From now on it restores like the agent's own backups.
    const restored = await start(USERS.owner, {
      kind: 'restore',
      backupKey: key,
      target: { kind: 'new-database', database: `${world.database}_adopted` },
    });
    expect(restored.status).toBe(202);
    expect((await finished(restored.body.id)).state).toBe('succeeded');
  });
});
