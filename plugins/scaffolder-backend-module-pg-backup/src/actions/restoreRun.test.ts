import { JsonValue } from '@backstage/types';
import { PgBackupContractServer } from '../__testUtils__/PgBackupContractServer';
import { actionTestOptions } from '../__testUtils__/actionTestOptions';
import { createMockActionContext } from '../__testUtils__/mockActionContext';
import { waitFor } from '../__testUtils__/waitFor';
import { createRestoreRunAction, resolveRestoreTarget } from './restoreRun';

describe('pg-backup:restore:run', () => {
  let server: PgBackupContractServer;
  beforeEach(async () => {
    server = await PgBackupContractServer.start();
  });
  afterEach(() => server.stop());

  const QAWAVE = 'resource:default/qawave-postgresql';

  it('restores into a new database on behalf of the initiator, following the steps and the Job log', async () => {
    const action = createRestoreRunAction(actionTestOptions(server));
    const run = createMockActionContext({
      input: { entityRef: QAWAVE, reason: 'Inspect yesterday’s orders' },
      user: 'user:default/carol',
    });
    await action.handler(run.ctx);

    const [start] = server.requestsTo('POST', /\/operations$/);
    expect(start.path).toBe(
      '/entities/resource/default/qawave-postgresql/operations',
    );
    expect(start.body).toEqual({
      kind: 'restore',
      reason: 'Inspect yesterday’s orders',
      idempotencyKey: 'task-1:step-1',
    });
    // Without an approval the start acts for the initiator, so the backend checks their
    // permission; the operation and its Job logs are followed with the module's own token.
    expect(start.onBehalfOf).toBe('user:default/carol');
    expect(
      new Set(
        server.requests
          .filter(r => r !== start)
          .map(r => `${r.service}→${r.targetPluginId}`),
      ),
    ).toEqual(new Set(['plugin:scaffolder→pg-backup']));
    expect(
      server.operations.get(run.outputs.operationId as string)?.operation
        .requestedBy,
    ).toBe('user:default/carol');

    const operationId = run.outputs.operationId as string;
    expect(server.operations.get(operationId)?.operation.state).toBe(
      'succeeded',
    );
    expect(run.outputs).toMatchObject({
      backupKey: 'postgresql/daily/qawave_20261124_020000.dump',
      target: {
        kind: 'new-database',
        database: 'qawave_restored_202611241000',
      },
      verification: { passed: true },
    });
    expect(run.outputs.dryRun).toBeUndefined();

    const text = run.text();
    expect(text).toContain('info: Step restore (Restore the backup): running');
    expect(text).toContain(
      'info: Step verify (Verify against the manifest): succeeded',
    );
    // Each Job log line appears exactly once, in order, although the tails overlap.
    const jobLines = run.logs
      .map(l => l.message)
      .filter(m => m.startsWith('[pg-restore-restore]'));
    expect(jobLines).toEqual([
      '[pg-restore-restore] restore: downloading from S3',
      '[pg-restore-restore] restore: pg_restore --list ok (42 entries)',
      '[pg-restore-restore] restore: pg_restore done',
    ]);
    expect(text).toContain(
      'ok   rows:public.invoices: expected 1200, got 1200',
    );
  });

  it('never starts a second operation when the task is retried', async () => {
    const action = createRestoreRunAction(actionTestOptions(server));
    const checkpoints = new Map<string, JsonValue>();
    const first = createMockActionContext({
      input: { entityRef: QAWAVE },
      checkpoints,
    });
    await action.handler(first.ctx);
    // The retry finds the checkpoint and follows the same operation.
    const retry = createMockActionContext({
      input: { entityRef: QAWAVE },
      checkpoints,
    });
    await action.handler(retry.ctx);
    expect(retry.checkpointRuns).toEqual([]);
    expect(server.requestsTo('POST', /\/operations$/)).toHaveLength(1);
    expect(retry.outputs.operationId).toBe(first.outputs.operationId);

    // Even when the checkpoint was lost, the idempotency key returns the first operation.
    const lost = createMockActionContext({ input: { entityRef: QAWAVE } });
    await action.handler(lost.ctx);
    expect(server.requestsTo('POST', /\/operations$/)).toHaveLength(2);
    expect(server.operations.size).toBe(1);
    expect(lost.outputs.operationId).toBe(first.outputs.operationId);
  });

  it('on a dry run asks the backend for the plan and changes nothing', async () => {
    const action = createRestoreRunAction(actionTestOptions(server));
    const run = createMockActionContext({
      input: {
        entityRef: QAWAVE,
        target: { kind: 'live' as const },
        confirmation: 'qawave',
      },
      isDryRun: true,
    });
    await action.handler(run.ctx);
    const [start] = server.requestsTo('POST', /\/operations$/);
    expect(start.body).toMatchObject({ dryRun: true, kind: 'restore' });
    expect(start.body.idempotencyKey).toBeUndefined();
    expect(server.operations.size).toBe(0);
    expect(run.checkpointRuns).toEqual([]);
    expect(run.outputs).toMatchObject({
      dryRun: true,
      backupKey: 'postgresql/daily/qawave_20261124_020000.dump',
      target: { kind: 'live', database: 'qawave' },
      plan: {
        approval: 'missing',
        steps: [
          { id: 'restore', title: 'Restore the backup' },
          { id: 'verify', title: 'Verify against the manifest' },
        ],
        problems: ['approvalId is required for a live restore'],
      },
    });
    expect(run.text()).toContain('  1. restore: Restore the backup');
    expect(run.text()).toContain(
      'warn: A real run would be refused: approvalId is required for a live restore',
    );
  });

  it('restores over the live database with the approval, the confirmation as the target database', async () => {
    server.addApproval({ id: 'approval-9', state: 'approved' });
    const action = createRestoreRunAction(actionTestOptions(server));
    const run = createMockActionContext({
      input: {
        entityRef: QAWAVE,
        target: { kind: 'live' as const, database: '' },
        confirmation: 'qawave',
        approvalId: 'approval-9',
        reason: 'Faulty migration',
      },
    });
    await action.handler(run.ctx);
    const [start] = server.requestsTo('POST', /\/operations$/);
    expect(start.body).toMatchObject({
      target: { kind: 'live', database: 'qawave' },
      confirmation: 'qawave',
      approvalId: 'approval-9',
    });
    expect(server.approvals.get('approval-9')?.usedByOperation).toBe(
      run.outputs.operationId,
    );
  });

  it("restores over the live database after the initiator's token expired: started and followed with the module's token, for the approval's requester", async () => {
    server.addApproval({
      id: 'approval-7',
      state: 'approved',
      kind: 'restore',
      target: { kind: 'live', database: 'qawave' },
      requestedBy: 'user:default/alice',
      decidedBy: 'user:default/bob',
    });
    // The approval wait took longer than the initiator's token lives: every user token is refused.
    server.userTokensLeft = 0;
    const action = createRestoreRunAction(actionTestOptions(server));
    const run = createMockActionContext({
      input: {
        entityRef: QAWAVE,
        target: { kind: 'live' as const },
        confirmation: 'qawave',
        approvalId: 'approval-7',
        reason: 'Faulty migration',
      },
      user: 'user:default/alice',
    });
    await action.handler(run.ctx);

    const operationId = run.outputs.operationId as string;
    const served = server.operations.get(operationId)!.operation;
    expect(served).toMatchObject({
      state: 'succeeded',
      approvalId: 'approval-7',
      requestedBy: 'user:default/alice',
    });
    expect(server.approvals.get('approval-7')?.usedByOperation).toBe(
      operationId,
    );
    // No request went out on the initiator's behalf: the start, the polls and the Job logs all
    // carry the scaffolder's own token for pg-backup.
    expect(
      server.requests.map(r => [
        `${r.method} ${r.path.replace(/\/jobs\/.*/, '/jobs/…')}`,
        r.onBehalfOf,
        r.service,
        r.targetPluginId,
      ]),
    ).toEqual(
      expect.arrayContaining([
        [
          'POST /entities/resource/default/qawave-postgresql/operations',
          undefined,
          'plugin:scaffolder',
          'pg-backup',
        ],
        [
          `GET /operations/${operationId}`,
          undefined,
          'plugin:scaffolder',
          'pg-backup',
        ],
        [
          'GET /entities/resource/default/qawave-postgresql/jobs/…',
          undefined,
          'plugin:scaffolder',
          'pg-backup',
        ],
      ]),
    );
    expect(server.requests.every(r => r.service === 'plugin:scaffolder')).toBe(
      true,
    );
    expect(run.logs.filter(l => l.level !== 'info')).toEqual([]);
    expect(run.text()).toContain(
      'info: Step verify (Verify against the manifest): succeeded',
    );
  });

  it('starts a restore into a new database as the initiator even when an approval is passed, since it needs none', async () => {
    server.addApproval({ id: 'approval-8', state: 'approved' });
    const action = createRestoreRunAction(actionTestOptions(server));
    const run = createMockActionContext({
      input: { entityRef: QAWAVE, approvalId: 'approval-8' },
      user: 'user:default/carol',
    });
    await action.handler(run.ctx);
    const starts = server.requestsTo('POST', /\/operations$/);
    expect(starts.map(r => [r.service, r.onBehalfOf])).toEqual([
      ['plugin:scaffolder', undefined],
      [undefined, 'user:default/carol'],
    ]);
    expect(
      server.operations.get(run.outputs.operationId as string)?.operation
        .requestedBy,
    ).toBe('user:default/carol');
  });

  it("fails with the backend's message naming the bad field", async () => {
    const action = createRestoreRunAction(actionTestOptions(server));
    const run = createMockActionContext({
      input: {
        entityRef: QAWAVE,
        target: { kind: 'new-database' as const, database: 'Bad-Name' },
      },
    });
    await expect(action.handler(run.ctx)).rejects.toThrow(
      'Starting the restore of resource:default/qawave-postgresql was refused by pg-backup (400 InputError): target.database "Bad-Name" is not a valid database name: expected [a-z_][a-z0-9_]{0,62}',
    );
    // A refused start is no checkpoint: a retry with a fixed input may start.
    expect(run.checkpoints.size).toBe(0);
  });

  it('fails with the conflict naming the running operation', async () => {
    server.script = () => ({
      steps: [{ id: 'restore', title: 'Restore', hang: true }],
    });
    const action = createRestoreRunAction(actionTestOptions(server));
    const controller = new AbortController();
    const first = createMockActionContext({
      input: { entityRef: QAWAVE },
      signal: controller.signal,
      taskId: 'task-a',
    });
    const running = action.handler(first.ctx);
    await waitFor(() => server.operations.size === 1);
    const second = createMockActionContext({
      input: { entityRef: QAWAVE },
      taskId: 'task-b',
    });
    await expect(action.handler(second.ctx)).rejects.toThrow(
      '(409 ConflictError): restore operation op-1 is already running on resource:default/qawave-postgresql',
    );
    controller.abort();
    await expect(running).rejects.toThrow('cancelled with the task');
  });

  it('refuses an incomplete target before calling the backend', async () => {
    const action = createRestoreRunAction(actionTestOptions(server));
    const run = createMockActionContext({
      input: {
        entityRef: QAWAVE,
        target: { kind: 'other-namespace' as const, database: 'qawave' },
      },
    });
    await expect(action.handler(run.ctx)).rejects.toThrow(
      'target.namespace is missing for an other-namespace restore',
    );
    const bad = createMockActionContext({
      input: { entityRef: 'resource:default/' },
    });
    await expect(action.handler(bad.ctx)).rejects.toThrow(
      'entityRef "resource:default/" is not an entity reference',
    );
    expect(server.requests).toHaveLength(0);
  });

  it('names the failed step and its reason when the restore fails', async () => {
    server.script = () => ({
      steps: [
        {
          id: 'restore',
          title: 'Restore the backup',
          job: 'pg-restore-x',
          logLines: ['restore: ERROR: database "qawave_x" already exists'],
          failWith: 'pg_restore exited with 1',
        },
        { id: 'verify', title: 'Verify' },
      ],
    });
    const action = createRestoreRunAction(actionTestOptions(server));
    const run = createMockActionContext({ input: { entityRef: QAWAVE } });
    await expect(action.handler(run.ctx)).rejects.toThrow(
      'The restore operation op-1 failed at step restore (Restore the backup): pg_restore exited with 1',
    );
    expect(run.text()).toContain(
      'error: Step restore (Restore the backup): failed — pg_restore exited with 1',
    );
    expect(run.text()).toContain(
      '[pg-restore-x] restore: ERROR: database "qawave_x" already exists',
    );
  });

  it('keeps following through a restarting backend', async () => {
    const action = createRestoreRunAction(actionTestOptions(server));
    const run = createMockActionContext({ input: { entityRef: QAWAVE } });
    const done = action.handler(run.ctx);
    await waitFor(() => server.requestsTo('GET', /^\/operations\//).length > 0);
    server.unavailableFor = 2;
    await done;
    expect(run.outputs.operationId).toBe('op-1');
    expect(run.text()).toContain(
      'warn: Reading operation op-1 (it may still be running on the backend',
    );
  });
});

describe('resolveRestoreTarget', () => {
  it('leaves the new database name to the backend unless one is given', () => {
    expect(resolveRestoreTarget({})).toBeUndefined();
    expect(
      resolveRestoreTarget({ target: { kind: 'new-database', database: ' ' } }),
    ).toBeUndefined();
    expect(
      resolveRestoreTarget({ target: { database: 'qawave_copy' } }),
    ).toEqual({ kind: 'new-database', database: 'qawave_copy' });
  });

  it('requires a database for live (defaulting to the confirmation) and other-namespace restores', () => {
    expect(() =>
      resolveRestoreTarget({ target: { kind: 'live' as const } }),
    ).toThrow('target.database is missing for a live restore');
    expect(
      resolveRestoreTarget({
        target: {
          kind: 'other-namespace',
          database: 'qawave',
          namespace: 'dr',
          cluster: '',
        },
      }),
    ).toEqual({ kind: 'other-namespace', database: 'qawave', namespace: 'dr' });
  });
});
