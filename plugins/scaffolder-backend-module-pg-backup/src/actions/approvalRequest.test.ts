import { JsonValue } from '@backstage/types';
import { ApprovalWaitSlots } from '../ApprovalWaitSlots';
import { PgBackupContractServer } from '../__testUtils__/PgBackupContractServer';
import { actionTestOptions } from '../__testUtils__/actionTestOptions';
import { createMockActionContext } from '../__testUtils__/mockActionContext';
import { createApprovalRequestAction } from './approvalRequest';

describe('pg-backup:approval:request', () => {
  let server: PgBackupContractServer;
  beforeEach(async () => {
    server = await PgBackupContractServer.start();
  });
  afterEach(() => server.stop());

  const input = {
    entityRef: 'resource:default/qawave-postgresql',
    backupKey: 'postgresql/daily/qawave_20261124_020000.dump',
    target: { kind: 'live' as const },
    confirmation: 'qawave',
    reason: 'A faulty migration dropped the invoices table',
  };

  it('requests an approval as the initiator, once per task', async () => {
    const action = createApprovalRequestAction(actionTestOptions(server));
    const checkpoints = new Map<string, JsonValue>();
    const run = createMockActionContext({ input, checkpoints });
    await action.handler(run.ctx);
    const [request] = server.requestsTo('POST', /\/approvals$/);
    expect(request.onBehalfOf).toBe('user:default/alice');
    expect(request.body).toEqual({
      kind: 'restore',
      backupKey: 'postgresql/daily/qawave_20261124_020000.dump',
      target: { kind: 'live', database: 'qawave' },
      reason: 'A faulty migration dropped the invoices table',
    });
    const approval = server.approvals.get(run.outputs.approvalId as string)!;
    expect(approval.requestedBy).toBe('user:default/alice');
    expect(run.outputs.expiresAt).toBe(approval.expiresAt);

    const retry = createMockActionContext({ input, checkpoints });
    await action.handler(retry.ctx);
    expect(server.requestsTo('POST', /\/approvals$/)).toHaveLength(1);
    expect(retry.outputs.approvalId).toBe(run.outputs.approvalId);
  });

  it('sends no target for an emergency recovery', async () => {
    const action = createApprovalRequestAction(actionTestOptions(server));
    const run = createMockActionContext({
      input: { ...input, kind: 'emergency' as const, backupKey: '' },
    });
    await action.handler(run.ctx);
    expect(server.requestsTo('POST', /\/approvals$/)[0].body).toEqual({
      kind: 'emergency',
      reason: 'A faulty migration dropped the invoices table',
    });
  });

  it('requests nothing on a dry run', async () => {
    const action = createApprovalRequestAction(actionTestOptions(server));
    const run = createMockActionContext({ input, isDryRun: true });
    await action.handler(run.ctx);
    expect(server.requests).toHaveLength(0);
    expect(run.outputs).toEqual({ dryRun: true });
    expect(run.text()).toContain(
      'would request an approval for the restore of resource:default/qawave-postgresql into the live database qawave from postgresql/daily/qawave_20261124_020000.dump',
    );
  });

  it('refuses before notifying anyone when no approval wait could start', async () => {
    const slots = new ApprovalWaitSlots(1);
    slots.acquire('other-task:wait');
    const action = createApprovalRequestAction(
      actionTestOptions(server, slots),
    );
    const run = createMockActionContext({ input });
    await expect(action.handler(run.ctx)).rejects.toThrow(
      '1 scaffolder tasks on this backend instance already wait for approvals, the most allowed (pgBackup.scaffolder.maxWaitingApprovals = 1)',
    );
    expect(server.requests).toHaveLength(0);
  });

  it("fails with the backend's message naming the field", async () => {
    const action = createApprovalRequestAction(actionTestOptions(server));
    const run = createMockActionContext({
      input: {
        ...input,
        target: { kind: 'new-database' as const },
        reason: ' x ',
      },
    });
    await expect(action.handler(run.ctx)).rejects.toThrow(
      '(400 InputError): reason "x" is too short: say why in a sentence',
    );
  });
});
