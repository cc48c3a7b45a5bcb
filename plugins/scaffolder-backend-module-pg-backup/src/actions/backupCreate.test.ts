import { JsonValue } from '@backstage/types';
import { PgBackupContractServer } from '../__testUtils__/PgBackupContractServer';
import { actionTestOptions } from '../__testUtils__/actionTestOptions';
import { createMockActionContext } from '../__testUtils__/mockActionContext';
import { createBackupCreateAction } from './backupCreate';

describe('pg-backup:backup:create', () => {
  let server: PgBackupContractServer;
  beforeEach(async () => {
    server = await PgBackupContractServer.start();
  });
  afterEach(() => server.stop());

  const input = { entityRef: 'resource:default/qawave-postgresql' };

  it('backs up, streams the Job log once per line and outputs the new backup', async () => {
    const action = createBackupCreateAction(actionTestOptions(server));
    const run = createMockActionContext({ input });
    await action.handler(run.ctx);
    expect(server.requestsTo('POST', /\/backups$/)).toHaveLength(1);
    const job = run.outputs.job as string;
    expect(run.outputs).toMatchObject({
      cronJob: 'postgresql-backup',
      namespace: 'qawave',
      job: 'postgresql-backup-manual-1',
      sizeBytes: 48_100_000,
    });
    const newest = server.backups.get('resource:default/qawave-postgresql')![0];
    expect(run.outputs.backupKey).toBe(newest.key);
    expect(newest.key).not.toBe('postgresql/daily/qawave_20261124_020000.dump');
    expect(
      run.logs.map(l => l.message).filter(m => m.startsWith(`[${job}]`)),
    ).toEqual([
      `[${job}] backup: pg_dump started`,
      `[${job}] backup: uploading to S3`,
      `[${job}] backup: manifest written`,
    ]);
  });

  it('never creates a second Job when the task is retried', async () => {
    const action = createBackupCreateAction(actionTestOptions(server));
    const checkpoints = new Map<string, JsonValue>();
    const first = createMockActionContext({ input, checkpoints });
    await action.handler(first.ctx);
    const retry = createMockActionContext({ input, checkpoints });
    await action.handler(retry.ctx);
    expect(server.requestsTo('POST', /\/backups$/)).toHaveLength(1);
    expect(retry.outputs.backupKey).toBe(first.outputs.backupKey);
  });

  it('fails with the classified Job failure', async () => {
    server.backupJobFails = true;
    const action = createBackupCreateAction(actionTestOptions(server));
    const run = createMockActionContext({ input });
    await expect(action.handler(run.ctx)).rejects.toThrow(
      'Backup Job postgresql-backup-manual-1 failed: s3-credentials: S3 rejected the credentials; rotate the backup Secret. (InvalidAccessKeyId)',
    );
  });

  it('on a dry run reads the CronJob and creates nothing', async () => {
    const action = createBackupCreateAction(actionTestOptions(server));
    const run = createMockActionContext({ input, isDryRun: true });
    await action.handler(run.ctx);
    expect(server.requestsTo('POST', /.*/)).toHaveLength(0);
    expect(run.outputs).toEqual({ dryRun: true, cronJob: 'postgresql-backup' });
    expect(run.text()).toContain(
      'would create a Job from CronJob postgresql-backup (schedule "0 2 * * *")',
    );
  });

  it('stops following when the task is cancelled, saying the Job keeps running', async () => {
    const action = createBackupCreateAction(actionTestOptions(server));
    const controller = new AbortController();
    controller.abort();
    const run = createMockActionContext({ input, signal: controller.signal });
    await expect(action.handler(run.ctx)).rejects.toThrow(
      'The task was cancelled; backup Job postgresql-backup-manual-1 keeps running in the cluster',
    );
  });

  it('refuses an unknown database with the backend message', async () => {
    const action = createBackupCreateAction(actionTestOptions(server));
    const run = createMockActionContext({
      input: { entityRef: 'resource:default/nope' },
    });
    await expect(action.handler(run.ctx)).rejects.toThrow(
      'Backing up resource:default/nope was refused by pg-backup (404 NotFoundError): No pg-backup database resource:default/nope',
    );
  });
});
