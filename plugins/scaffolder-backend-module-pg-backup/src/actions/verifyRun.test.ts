import {
  PgBackupContractServer,
  defaultScript,
} from '../__testUtils__/PgBackupContractServer';
import { actionTestOptions } from '../__testUtils__/actionTestOptions';
import { createMockActionContext } from '../__testUtils__/mockActionContext';
import { createVerifyRunAction } from './verifyRun';

describe('pg-backup:verify:run', () => {
  let server: PgBackupContractServer;
  beforeEach(async () => {
    server = await PgBackupContractServer.start();
  });
  afterEach(() => server.stop());

  it('verifies a backup and outputs the report', async () => {
    const action = createVerifyRunAction(actionTestOptions(server));
    const run = createMockActionContext({
      input: {
        entityRef: 'qawave-postgresql',
        backupKey: 'postgresql/daily/qawave_20261123_020000.dump',
      },
    });
    await action.handler(run.ctx);
    expect(server.requestsTo('POST', /\/operations$/)[0].body).toEqual({
      kind: 'verify',
      backupKey: 'postgresql/daily/qawave_20261123_020000.dump',
      idempotencyKey: 'task-1:step-1',
    });
    expect(run.outputs).toMatchObject({
      operationId: 'op-1',
      passed: true,
      report: {
        backupKey: 'postgresql/daily/qawave_20261123_020000.dump',
        checks: [
          { name: 'table-count', passed: true },
          { name: 'rows:public.invoices', passed: true },
        ],
      },
    });
  });

  it('fails naming the check that failed', async () => {
    server.script = kind => ({
      ...defaultScript(kind),
      verificationPassed: false,
    });
    const action = createVerifyRunAction(actionTestOptions(server));
    const run = createMockActionContext({
      input: { entityRef: 'resource:default/qawave-postgresql' },
    });
    await expect(action.handler(run.ctx)).rejects.toThrow(
      'The verify operation op-1 failed: verification failed: rows:public.invoices expected 1200, got 1100',
    );
  });

  it('refuses an unknown backup with the backend naming the field', async () => {
    const action = createVerifyRunAction(actionTestOptions(server));
    const run = createMockActionContext({
      input: {
        entityRef: 'resource:default/qawave-postgresql',
        backupKey: 'postgresql/daily/nope.dump',
      },
    });
    await expect(action.handler(run.ctx)).rejects.toThrow(
      'backupKey "postgresql/daily/nope.dump" is not a complete backup of resource:default/qawave-postgresql',
    );
  });

  it('plans on a dry run', async () => {
    const action = createVerifyRunAction(actionTestOptions(server));
    const run = createMockActionContext({
      input: { entityRef: 'resource:default/qawave-postgresql' },
      isDryRun: true,
    });
    await action.handler(run.ctx);
    expect(server.operations.size).toBe(0);
    expect(run.outputs).toMatchObject({
      dryRun: true,
      plan: { kind: 'verify', approval: 'not-needed' },
    });
  });
});
