import { RUNBOOK_DRILL_CHECKLIST } from '../drillChecklist';
import {
  PgBackupContractServer,
  defaultScript,
} from '../__testUtils__/PgBackupContractServer';
import { actionTestOptions } from '../__testUtils__/actionTestOptions';
import { createMockActionContext } from '../__testUtils__/mockActionContext';
import { createDrillRunAction } from './drillRun';

describe('pg-backup:drill:run', () => {
  let server: PgBackupContractServer;
  beforeEach(async () => {
    server = await PgBackupContractServer.start();
  });
  afterEach(() => server.stop());

  const input = {
    entityRef: 'resource:default/qawave-postgresql',
    checklist: {
      pre: ['Stakeholders notified'],
      during: ['Smoke test application', 'Checked the replica lag'],
      post: [],
    },
    notes: 'The dump grew 40%: raise the verify Job memory.',
    reason: 'Q4 drill',
  };

  it('records the drill with the whole checklist and reports RTO against the objective', async () => {
    const action = createDrillRunAction(actionTestOptions(server));
    const run = createMockActionContext({ input });
    await action.handler(run.ctx);
    const body = server.requestsTo('POST', /\/operations$/)[0].body;
    expect(body).toMatchObject({
      kind: 'drill',
      notes: 'The dump grew 40%: raise the verify Job memory.',
      reason: 'Q4 drill',
      idempotencyKey: 'task-1:step-1',
    });
    const seedCount =
      RUNBOOK_DRILL_CHECKLIST.pre.length +
      RUNBOOK_DRILL_CHECKLIST.during.length +
      RUNBOOK_DRILL_CHECKLIST.post.length;
    expect(body.checklist).toHaveLength(seedCount + 1);
    expect(body.checklist.filter((i: { done: boolean }) => i.done)).toEqual([
      { phase: 'pre', item: 'Stakeholders notified', done: true },
      { phase: 'during', item: 'Smoke test application', done: true },
      { phase: 'during', item: 'Checked the replica lag', done: true },
    ]);
    expect(run.outputs).toMatchObject({
      operationId: 'op-1',
      measuredRtoMs: 192_000,
      rtoObjectiveMs: 14_400_000,
      withinObjective: true,
      passed: true,
      summary:
        'Recovered in 3m 12s (objective 4h); data verified: drill passed',
    });
  });

  it('reports a failed drill when the recovery took longer than the objective', async () => {
    server.script = kind => ({
      ...defaultScript(kind),
      measuredRtoMs: 5 * 3_600_000,
    });
    const action = createDrillRunAction(actionTestOptions(server));
    const run = createMockActionContext({ input });
    await action.handler(run.ctx);
    expect(run.outputs).toMatchObject({
      withinObjective: false,
      passed: false,
      summary:
        'Recovered in 5h (objective 4h, exceeded); data verified: drill failed',
    });
    expect(run.text()).toContain('warn: Recovered in 5h');
  });

  it('plans on a dry run and records nothing', async () => {
    const action = createDrillRunAction(actionTestOptions(server));
    const run = createMockActionContext({ input, isDryRun: true });
    await action.handler(run.ctx);
    expect(server.operations.size).toBe(0);
    expect(run.outputs).toMatchObject({
      dryRun: true,
      plan: { kind: 'drill' },
    });
    expect(run.outputs.checklist).toHaveLength(16);
  });
});
