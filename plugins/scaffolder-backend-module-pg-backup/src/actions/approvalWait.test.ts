import { ApprovalWaitSlots } from '../ApprovalWaitSlots';
import { PgBackupContractServer } from '../__testUtils__/PgBackupContractServer';
import { actionTestOptions } from '../__testUtils__/actionTestOptions';
import { createMockActionContext } from '../__testUtils__/mockActionContext';
import { waitFor } from '../__testUtils__/waitFor';
import { createApprovalWaitAction } from './approvalWait';

describe('pg-backup:approval:wait', () => {
  let server: PgBackupContractServer;
  beforeEach(async () => {
    server = await PgBackupContractServer.start();
  });
  afterEach(() => server.stop());

  const wait = (slots = new ApprovalWaitSlots(5)) => ({
    slots,
    action: createApprovalWaitAction(actionTestOptions(server, slots)),
  });

  it('waits until approved and outputs the approval', async () => {
    server.addApproval(
      { id: 'approval-1' },
      {
        decision: 'approve',
        afterReads: 3,
        by: 'user:default/bob',
        comment: 'Go ahead',
      },
    );
    const { action, slots } = wait();
    const run = createMockActionContext({
      input: { approvalId: 'approval-1' },
    });
    await action.handler(run.ctx);
    expect(server.requestsTo('GET', /^\/approvals\/approval-1$/)).toHaveLength(
      3,
    );
    expect(run.outputs).toEqual({
      approvalId: 'approval-1',
      decidedBy: 'user:default/bob',
      comment: 'Go ahead',
    });
    expect(run.text()).toContain(
      'Waiting for a decision on approval approval-1 (the restore of resource:default/qawave-postgresql, requested by user:default/alice)',
    );
    expect(slots.waiting).toBe(0);
  });

  it("reads once as the initiator, then polls with the module's own credentials, so the wait outlasts the initiator's token", async () => {
    server.addApproval(
      { id: 'approval-1' },
      { decision: 'approve', afterReads: 5, by: 'user:default/bob' },
    );
    // The initiator's token works for the first request only, as if it expired during the wait.
    server.userTokensLeft = 1;
    const { action } = wait();
    const run = createMockActionContext({
      input: { approvalId: 'approval-1' },
      user: 'user:default/alice',
    });
    await action.handler(run.ctx);
    expect(run.outputs.approvalId).toBe('approval-1');
    const reads = server.requestsTo('GET', /^\/approvals\/approval-1$/);
    expect(reads.map(r => [r.onBehalfOf, r.service, r.targetPluginId])).toEqual(
      [
        ['user:default/alice', undefined, 'pg-backup'],
        ...Array(4).fill([undefined, 'plugin:scaffolder', 'pg-backup']),
      ],
    );
    expect(run.logs.filter(l => l.level === 'warn')).toEqual([]);

    // A retried or resumed task, hours later: the initiator's read is not repeated.
    server.addApproval(
      { id: 'approval-2' },
      { decision: 'approve', afterReads: 2 },
    );
    server.userTokensLeft = 0;
    const resumed = createMockActionContext({
      input: { approvalId: 'approval-2' },
      checkpoints: new Map([
        ['initiator-reads-approval-approval-2', { approvalId: 'approval-2' }],
      ]),
    });
    await action.handler(resumed.ctx);
    expect(resumed.outputs.approvalId).toBe('approval-2');
    expect(resumed.checkpointRuns).toEqual([]);
  });

  it('fails at once when the initiator may not read the approval: the module never reads it for them', async () => {
    server.addApproval(
      { id: 'approval-1' },
      { decision: 'approve', afterReads: 1 },
    );
    server.userTokensLeft = 0;
    const { action, slots } = wait();
    const run = createMockActionContext({
      input: { approvalId: 'approval-1' },
    });
    await expect(action.handler(run.ctx)).rejects.toThrow(
      'Reading approval approval-1 was refused by pg-backup (401 AuthenticationError): Failed user token verification, "exp" claim timestamp check failed (the task acts with the initiator\'s Backstage token',
    );
    expect(
      server.requestsTo('GET', /^\/approvals\//).map(r => r.service),
    ).toEqual([undefined]);
    expect(run.checkpoints.size).toBe(0);
    expect(slots.waiting).toBe(0);
  });

  it("fails with the approver's comment when rejected", async () => {
    server.addApproval(
      { id: 'approval-1' },
      {
        decision: 'reject',
        afterReads: 2,
        by: 'user:default/bob',
        comment: 'Restore into a new database first',
      },
    );
    const { action, slots } = wait();
    const run = createMockActionContext({
      input: { approvalId: 'approval-1' },
    });
    await expect(action.handler(run.ctx)).rejects.toThrow(
      /^Approval approval-1 was rejected by user:default\/bob at .+: "Restore into a new database first"$/,
    );
    expect(slots.waiting).toBe(0);
  });

  it('fails when the request expires, whether the backend says so or its time has passed', async () => {
    server.addApproval(
      { id: 'approval-1' },
      { decision: 'expire', afterReads: 1 },
    );
    server.addApproval(
      { id: 'approval-2', expiresAt: '2020-01-01T00:00:00.000Z' },
      { decision: 'never', afterReads: 1 },
    );
    const { action } = wait();
    for (const id of ['approval-1', 'approval-2']) {
      const run = createMockActionContext({ input: { approvalId: id } });
      await expect(action.handler(run.ctx)).rejects.toThrow(
        `Approval ${id} expired at`,
      );
    }
  });

  it('fails when the approval was already used', async () => {
    server.addApproval({
      id: 'approval-1',
      state: 'approved',
      usedByOperation: 'op-7',
    });
    const { action } = wait();
    const run = createMockActionContext({
      input: { approvalId: 'approval-1' },
    });
    await expect(action.handler(run.ctx)).rejects.toThrow(
      'Approval approval-1 was already used by operation op-7',
    );
  });

  it('fails at once without an approval id, or for an unknown one', async () => {
    const { action: blank } = wait();
    await expect(
      blank.handler(
        createMockActionContext({ input: { approvalId: ' ' } }).ctx,
      ),
    ).rejects.toThrow('approvalId is missing');
    const { action } = wait();
    const run = createMockActionContext({ input: { approvalId: 'nope' } });
    await expect(action.handler(run.ctx)).rejects.toThrow(
      'Reading approval nope was refused by pg-backup (404 NotFoundError): No approval request nope',
    );
  });

  it('caps concurrent waits per instance and refuses beyond, releasing slots when done', async () => {
    for (const id of ['a', 'b', 'c']) {
      server.addApproval({ id }, { decision: 'never', afterReads: 1 });
    }
    const { action, slots } = wait(new ApprovalWaitSlots(2));
    const controller = new AbortController();
    const waiting = ['a', 'b'].map(id =>
      action.handler(
        createMockActionContext({
          input: { approvalId: id },
          taskId: `task-${id}`,
          signal: controller.signal,
        }).ctx,
      ),
    );
    await waitFor(() => slots.waiting === 2);
    const third = createMockActionContext({
      input: { approvalId: 'c' },
      taskId: 'task-c',
    });
    await expect(action.handler(third.ctx)).rejects.toThrow(
      '2 scaffolder tasks on this backend instance already wait for approvals, the most allowed (pgBackup.scaffolder.maxWaitingApprovals = 2). Waiting tasks hold scaffolder worker slots',
    );
    expect(server.requestsTo('GET', /^\/approvals\/c$/)).toHaveLength(0);

    // Cancelling the waiting tasks ends their waits and frees their slots.
    controller.abort();
    for (const done of waiting) {
      await expect(done).rejects.toThrow(
        'The task was cancelled while waiting for approval',
      );
    }
    expect(slots.waiting).toBe(0);
    server.approvalScript = { decision: 'approve', afterReads: 1 };
    server.addApproval({ id: 'd' });
    await action.handler(
      createMockActionContext({ input: { approvalId: 'd' }, taskId: 'task-d' })
        .ctx,
    );
  });

  it('keeps waiting through a restarting backend', async () => {
    server.addApproval(
      { id: 'approval-1' },
      { decision: 'approve', afterReads: 2 },
    );
    server.unavailableFor = 2;
    const { action } = wait();
    const run = createMockActionContext({
      input: { approvalId: 'approval-1' },
    });
    await action.handler(run.ctx);
    expect(run.outputs.approvalId).toBe('approval-1');
    expect(run.logs.filter(l => l.level === 'warn')).toHaveLength(2);
  });

  it('waits for nothing on a dry run', async () => {
    const { action, slots } = wait(new ApprovalWaitSlots(1));
    slots.acquire('someone-else');
    const run = createMockActionContext({
      input: { approvalId: 'approval-1' },
      isDryRun: true,
    });
    await action.handler(run.ctx);
    expect(server.requests).toHaveLength(0);
    expect(run.outputs).toEqual({ dryRun: true });
  });
});
