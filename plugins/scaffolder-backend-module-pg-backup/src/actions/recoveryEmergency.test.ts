import {
  PgBackupContractServer,
  defaultScript,
} from '../__testUtils__/PgBackupContractServer';
import { actionTestOptions } from '../__testUtils__/actionTestOptions';
import { createMockActionContext } from '../__testUtils__/mockActionContext';
import { waitFor } from '../__testUtils__/waitFor';
import { createRecoveryEmergencyAction } from './recoveryEmergency';

describe('pg-backup:recovery:emergency', () => {
  let server: PgBackupContractServer;
  beforeEach(async () => {
    server = await PgBackupContractServer.start();
    server.addApproval({
      id: 'approval-1',
      kind: 'emergency',
      state: 'approved',
    });
  });
  afterEach(() => server.stop());

  const input = {
    entityRef: 'resource:default/qawave-postgresql',
    approvalId: 'approval-1',
    confirmation: 'qawave',
    reason: 'Data corruption after the 14:00 deployment',
  };

  it('runs the emergency procedure and reports the replicas it restored', async () => {
    const action = createRecoveryEmergencyAction(actionTestOptions(server));
    const run = createMockActionContext({ input });
    await action.handler(run.ctx);
    const [start] = server.requestsTo('POST', /\/operations$/);
    expect(start.body).toEqual({
      kind: 'emergency',
      approvalId: 'approval-1',
      confirmation: 'qawave',
      reason: 'Data corruption after the 14:00 deployment',
      idempotencyKey: 'task-1:step-1',
    });
    expect(run.outputs).toMatchObject({
      operationId: 'op-1',
      recordedReplicas: { backend: 2 },
      measuredRtoMs: 95_000,
      verification: { passed: true },
    });
    const steps = run.logs
      .map(l => l.message)
      .filter(m => m.startsWith('Step ') && m.endsWith('succeeded'))
      .map(m => m.split(' ')[1]);
    expect(steps).toEqual([
      'scale-down',
      'check-postgres',
      'restore',
      'verify',
      'scale-back',
    ]);
    expect(run.outputs.summary).toBe(
      'Recovered from postgresql/daily/qawave_20261124_020000.dump in 1m 35s (objective 4h); Deployments scaled back to backend=2',
    );
  });

  it('says the Deployments were scaled back when the restore fails', async () => {
    server.script = kind => {
      const script = defaultScript(kind);
      script.steps[2].failWith = 'pg_restore: connection to server lost';
      return script;
    };
    const action = createRecoveryEmergencyAction(actionTestOptions(server));
    const run = createMockActionContext({ input });
    await expect(action.handler(run.ctx)).rejects.toThrow(
      'The emergency operation op-1 failed at step restore (Restore the backup): pg_restore: connection to server lost; scale-back to backend=2: succeeded (backend back to 2 replicas)',
    );
  });

  it('cancels the operation when the task is cancelled and shows the scale-back', async () => {
    server.script = kind => {
      const script = defaultScript(kind);
      script.steps[2].hang = true;
      return script;
    };
    const action = createRecoveryEmergencyAction(actionTestOptions(server));
    const controller = new AbortController();
    const run = createMockActionContext({ input, signal: controller.signal });
    const done = action.handler(run.ctx);
    await waitFor(
      () =>
        server.operations.get('op-1')?.operation.steps[2].state === 'running',
    );
    controller.abort();
    await expect(done).rejects.toThrow(
      'The emergency operation op-1 was cancelled with the task: cancelled by the requester; scale-back to backend=2: succeeded',
    );
    expect(
      server.requestsTo('POST', /^\/operations\/op-1\/cancel$/),
    ).toHaveLength(1);
    expect(run.text()).toContain(
      'info: Step scale-back (Scale backend back to 2): succeeded',
    );
  });

  it('refuses without approval, with the backend naming the field', async () => {
    const action = createRecoveryEmergencyAction(actionTestOptions(server));
    const run = createMockActionContext({
      input: { ...input, approvalId: undefined, confirmation: 'qawav' },
    });
    await expect(action.handler(run.ctx)).rejects.toThrow(
      '(400 InputError): approvalId is required for an emergency recovery; confirmation "qawav" does not match the database name "qawave"',
    );
  });

  it('plans on a dry run without starting anything', async () => {
    const action = createRecoveryEmergencyAction(actionTestOptions(server));
    const run = createMockActionContext({ input, isDryRun: true });
    await action.handler(run.ctx);
    expect(server.operations.size).toBe(0);
    expect(run.outputs.plan).toMatchObject({ approval: 'valid', problems: [] });
    expect(run.outputs.dryRun).toBe(true);
  });
});
