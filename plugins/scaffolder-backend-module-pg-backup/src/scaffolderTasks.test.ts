/*
 * The templates run as tasks through the real scaffolder backend (POST /api/scaffolder/v2/tasks,
 * its template rendering, input validation, checkpoints and cancellation), with the catalog
 * serving the example templates and a stand-in serving the pg-backup contract.
 */
import fs from 'node:fs';
import yaml from 'yaml';
import {
  PgBackupContractServer,
  defaultScript,
} from './__testUtils__/PgBackupContractServer';
import { FAST_TIMING } from './__testUtils__/actionTestOptions';
import {
  TEMPLATE_FILES,
  contractPlugin,
  startScaffolderTestBackend,
} from './__testUtils__/startScaffolderTestBackend';
import { waitFor } from './__testUtils__/waitFor';

jest.setTimeout(120_000);

const ALICE = 'user:default/alice';
const QAWAVE = 'resource:default/qawave-postgresql';

describe('pg-backup templates through the scaffolder', () => {
  const contract = PgBackupContractServer.unstarted();
  let portal: Awaited<ReturnType<typeof startScaffolderTestBackend>>;

  beforeAll(async () => {
    portal = await startScaffolderTestBackend({
      pgBackup: [contractPlugin(contract)],
      timing: FAST_TIMING,
    });
    await portal.templatesReady();
  });

  beforeEach(() => {
    contract.requests.length = 0;
    contract.operations.clear();
    contract.script = defaultScript;
    contract.approvalScript = { decision: 'approve', afterReads: 2 };
  });

  it('lists the pg-backup actions with their schemas and examples', async () => {
    const res = await portal.call('GET', '/api/scaffolder/v2/actions', ALICE);
    const ours = res.body.filter((a: { id: string }) =>
      a.id.startsWith('pg-backup:'),
    );
    expect(ours).toHaveLength(7);
    for (const action of ours) {
      expect(action.schema.input.type).toBe('object');
      expect(action.examples.length).toBeGreaterThan(0);
    }
  });

  it('restores into a new database, showing the steps and the Job log in the task log', async () => {
    const taskId = await portal.startTask(
      'pg-backup-restore',
      { entity: QAWAVE, targetKind: 'new-database', reason: 'Inspect orders' },
      ALICE,
    );
    const task = await portal.waitForTask(taskId, ALICE);
    expect({
      status: task.status,
      log: task.status === 'completed' ? [] : task.log,
    }).toEqual({ status: 'completed', log: [] });
    const [start] = contract.requestsTo('POST', /\/operations$/);
    expect(start.onBehalfOf).toBe(ALICE);
    expect(start.body).toEqual({
      kind: 'restore',
      reason: 'Inspect orders',
      idempotencyKey: `${taskId}:restore`,
    });
    // No approval for a new database.
    expect(contract.requestsTo('POST', /\/approvals$/)).toHaveLength(0);
    const restoreLog = task.log
      .filter(l => l.stepId === 'restore')
      .map(l => l.message);
    expect(restoreLog).toEqual(
      expect.arrayContaining([
        expect.stringContaining('Step restore (Restore the backup): running'),
        expect.stringContaining(
          '[pg-restore-restore] restore: pg_restore done',
        ),
        expect.stringContaining('The restore operation op-'),
      ]),
    );
    expect(JSON.stringify(task.output)).toContain(
      'qawave_restored_202611241000',
    );
  });

  it('restores over the live database only after another user approved', async () => {
    contract.approvalScript = {
      decision: 'approve',
      afterReads: 3,
      by: 'user:default/bob',
      comment: 'Checked with the team',
    };
    const taskId = await portal.startTask(
      'pg-backup-restore',
      {
        entity: QAWAVE,
        backupKey: 'postgresql/daily/qawave_20261123_020000.dump',
        targetKind: 'live',
        confirmation: 'qawave',
        overwriteAcknowledged: true,
        reason: 'A faulty migration dropped the invoices table',
      },
      ALICE,
    );
    const task = await portal.waitForTask(taskId, ALICE);
    expect({
      status: task.status,
      log: task.status === 'completed' ? [] : task.log,
    }).toEqual({ status: 'completed', log: [] });
    const [approvalRequest] = contract.requestsTo('POST', /\/approvals$/);
    expect(approvalRequest.body).toEqual({
      kind: 'restore',
      backupKey: 'postgresql/daily/qawave_20261123_020000.dump',
      target: { kind: 'live', database: 'qawave' },
      reason: 'A faulty migration dropped the invoices table',
    });
    const approval = contract.approvals.get(
      [...contract.approvals.keys()].pop()!,
    )!;
    const [start] = contract.requestsTo('POST', /\/operations$/);
    expect(start.body).toMatchObject({
      target: { kind: 'live', database: 'qawave' },
      approvalId: approval.id,
      confirmation: 'qawave',
    });
    // The request acts for Alice; the wait reads as Alice once, then polls with the
    // scaffolder's own credentials (a wait may outlast her token), which also start the approved
    // restore for her (the approval's requester) and follow it.
    expect(approvalRequest.onBehalfOf).toBe(ALICE);
    expect(start.service).toBe('plugin:scaffolder');
    expect(
      [...contract.operations.values()].find(
        o => o.operation.approvalId === approval.id,
      )?.operation.requestedBy,
    ).toBe(ALICE);
    expect(
      contract
        .requestsTo('GET', new RegExp(`^/approvals/${approval.id}$`))
        .map(r => r.onBehalfOf ?? r.service),
    ).toEqual([ALICE, 'plugin:scaffolder', 'plugin:scaffolder']);
    // The restore started after the approval was seen approved.
    const order = contract.requests.map(r => `${r.method} ${r.path}`);
    expect(order.lastIndexOf(`GET /approvals/${approval.id}`)).toBeLessThan(
      order.findIndex(r => r.endsWith('/operations')),
    );
    expect(task.log.map(l => l.message)).toEqual(
      expect.arrayContaining([
        expect.stringContaining(
          `Approval ${approval.id} was approved by user:default/bob`,
        ),
      ]),
    );
  });

  it('fails a live restore that is rejected, without starting it', async () => {
    contract.approvalScript = {
      decision: 'reject',
      afterReads: 2,
      by: 'user:default/bob',
      comment: 'Restore into a new database first',
    };
    const taskId = await portal.startTask(
      'pg-backup-restore',
      {
        entity: QAWAVE,
        targetKind: 'live',
        confirmation: 'qawave',
        overwriteAcknowledged: true,
        reason: 'A faulty migration dropped the invoices table',
      },
      ALICE,
    );
    const task = await portal.waitForTask(taskId, ALICE);
    expect(task.status).toBe('failed');
    expect(task.log.map(l => l.message).join('\n')).toMatch(
      /Approval approval-\d+ was rejected by user:default\/bob at .*: "Restore into a new database first"/,
    );
    expect(contract.requestsTo('POST', /\/operations$/)).toHaveLength(0);
  });

  it('cancels an emergency recovery with the task and still scales back', async () => {
    contract.script = kind => {
      const script = defaultScript(kind);
      script.steps[2].hang = true;
      return script;
    };
    const taskId = await portal.startTask(
      'pg-backup-emergency-recovery',
      {
        entity: QAWAVE,
        confirmation: 'qawave',
        downtimeAcknowledged: true,
        reason: 'Data corruption after the 14:00 deployment',
      },
      ALICE,
    );
    await waitFor(
      () =>
        [...contract.operations.values()].some(
          o => o.operation.steps[2]?.state === 'running',
        ),
      30_000,
    );
    await portal.cancelTask(taskId, ALICE);
    const task = await portal.waitForTask(taskId, ALICE);
    expect(['cancelled', 'failed']).toContain(task.status);
    expect(contract.requestsTo('POST', /\/cancel$/)).toHaveLength(1);
    const [operation] = [...contract.operations.values()].map(o => o.operation);
    expect(operation.state).toBe('cancelled');
    expect(operation.steps.find(s => s.id === 'scale-back')?.state).toBe(
      'succeeded',
    );
    expect(task.log.map(l => l.message).join('\n')).toContain(
      'Step scale-back (Scale backend back to 2): succeeded',
    );
  });

  it('records a drill with the ticked checklist and reports the measured RTO', async () => {
    const taskId = await portal.startTask(
      'pg-backup-drill',
      {
        entity: QAWAVE,
        preChecklist: ['Stakeholders notified'],
        postChecklist: ['Lessons learned recorded'],
        notes: 'Raise the verify Job memory.',
        reason: 'Quarterly recovery drill',
      },
      ALICE,
    );
    const task = await portal.waitForTask(taskId, ALICE);
    expect({
      status: task.status,
      log: task.status === 'completed' ? [] : task.log,
    }).toEqual({ status: 'completed', log: [] });
    const [start] = contract.requestsTo('POST', /\/operations$/);
    expect(start.body.kind).toBe('drill');
    expect(start.body.notes).toBe('Raise the verify Job memory.');
    expect(
      start.body.checklist.filter((i: { done: boolean }) => i.done),
    ).toEqual([
      { phase: 'pre', item: 'Stakeholders notified', done: true },
      { phase: 'post', item: 'Lessons learned recorded', done: true },
    ]);
    expect(JSON.stringify(task.output)).toContain(
      'Recovered in 3m 12s (objective 4h); data verified: drill passed',
    );
  });

  it('verifies a backup from the link the Backups tab opens', async () => {
    const taskId = await portal.startTask(
      'pg-backup-verify',
      {
        entity: QAWAVE,
        backupKey: 'postgresql/daily/qawave_20261122_020000.dump',
      },
      ALICE,
    );
    const task = await portal.waitForTask(taskId, ALICE);
    expect({
      status: task.status,
      log: task.status === 'completed' ? [] : task.log,
    }).toEqual({ status: 'completed', log: [] });
    expect(contract.requestsTo('POST', /\/operations$/)[0].body).toMatchObject({
      kind: 'verify',
      backupKey: 'postgresql/daily/qawave_20261122_020000.dump',
    });
  });

  it('dry-runs a live restore: a plan in the log, nothing requested or started', async () => {
    const template = yaml.parse(fs.readFileSync(TEMPLATE_FILES[0], 'utf8'));
    const res = await portal.dryRun(
      template,
      {
        entity: QAWAVE,
        targetKind: 'live',
        confirmation: 'qawave',
        overwriteAcknowledged: true,
        reason: 'A faulty migration dropped the invoices table',
      },
      ALICE,
    );
    expect({
      status: res.status,
      body: res.status === 200 ? {} : res.body,
    }).toEqual({ status: 200, body: {} });
    const log = res.body.log.map(
      (l: { body: { message: string } }) => l.body.message,
    );
    expect(log).toEqual(
      expect.arrayContaining([
        expect.stringContaining(
          'Dry run, nothing changed: would request an approval',
        ),
        expect.stringContaining(
          'Dry run, nothing changed: the restore of resource:default/qawave-postgresql would use backup',
        ),
        expect.stringContaining('1. restore: Restore the backup'),
      ]),
    );
    expect(contract.operations.size).toBe(0);
    expect(contract.requestsTo('POST', /\/approvals$/)).toHaveLength(0);
    expect(
      contract.requestsTo('POST', /\/operations$/).map(r => r.body.dryRun),
    ).toEqual([true]);
  });
});
