import { ConflictError, InputError, NotAllowedError } from '@backstage/errors';
import {
  BackupTarget,
  DEFAULT_BACKUP_OBJECTIVES,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import { OperationStore } from '../database/OperationStore';
import { ApprovalService } from './ApprovalService';
import { BackupSelector } from './BackupSelector';
import { OperationPlanner } from './OperationPlanner';

const db: BackupTarget = {
  entityRef: 'resource:default/shop-postgresql',
  namespace: 'shop',
  database: 'shop',
  backupCronJob: 'postgresql-backup',
  storage: { bucket: 'shop-backups', prefix: 'postgresql/daily/' },
  objectives: DEFAULT_BACKUP_OBJECTIVES,
  deployments: ['backend'],
};
const NEWEST = 'postgresql/daily/shop_20261125_020000.dump';
const APPROVAL = '00000000-0000-4000-9000-000000000001';

function planner(
  options: {
    requireForAll?: boolean;
    approval?: { backupKey?: string; problem?: string };
    holder?: boolean;
  } = {},
) {
  const selector = {
    select: async (_: BackupTarget, key: string | undefined) => {
      if (key?.includes('incomplete'))
        throw new InputError(`backup ${key} is incomplete`);
      return { key: key ?? NEWEST, prefix: 'postgresql/daily/' };
    },
  } as unknown as BackupSelector;
  const approvals = {
    find: async () =>
      options.approval
        ? { id: APPROVAL, backupKey: options.approval.backupKey }
        : undefined,
    problemWith: async () =>
      options.approval?.problem
        ? new NotAllowedError(options.approval.problem)
        : undefined,
  } as unknown as ApprovalService;
  const operations = {
    lockHolder: async () =>
      options.holder ? { operationId: 'op-1', kind: 'drill' } : undefined,
  } as unknown as OperationStore;
  return new OperationPlanner({
    selector,
    approvals,
    operations,
    requireApprovalForAllRestores: options.requireForAll ?? false,
    postgresPodSelector: 'app.kubernetes.io/name=postgresql',
    checkCluster: () => {},
    now: () => new Date('2026-11-25T10:42:00Z'),
  });
}

describe('OperationPlanner', () => {
  it('restores the newest backup into <db>_restored_<yyyymmddhhmm> by default, without approval', async () => {
    const { plan, problems, operation } = await planner().plan(
      { kind: 'restore' },
      db,
      'user:default/alice',
    );
    expect(problems).toEqual([]);
    expect(plan).toMatchObject({
      backupKey: NEWEST,
      target: { kind: 'new-database', database: 'shop_restored_202611251042' },
      approval: 'not-needed',
    });
    expect(operation.context).toMatchObject({
      jobNamespace: 'shop',
      restoreDatabase: 'shop_restored_202611251042',
      scratch: false,
      deployments: [],
    });
  });

  it('needs an approval for every restore when configured', async () => {
    const { plan, problems } = await planner({ requireForAll: true }).plan(
      { kind: 'restore' },
      db,
      'user:default/alice',
    );
    expect(plan.approval).toBe('missing');
    expect(problems[0]).toBeInstanceOf(NotAllowedError);
    expect(problems[0].message).toMatch(/^a restore of .* needs an approval/);
  });

  it('takes the backup an approval names, and refuses an unusable approval with its reason', async () => {
    const older = 'postgresql/daily/shop_20261124_020000.dump';
    const approved = await planner({ approval: { backupKey: older } }).plan(
      {
        kind: 'emergency',
        approvalId: APPROVAL,
        confirmation: 'shop',
      },
      db,
      'user:default/alice',
    );
    expect(approved.problems).toEqual([]);
    expect(approved.plan.approval).toBe('valid');
    expect(approved.operation).toMatchObject({
      backupKey: older,
      approvalId: APPROVAL,
      target: { kind: 'live', database: 'shop' },
      rtoObjectiveMs: DEFAULT_BACKUP_OBJECTIVES.rtoMs,
    });
    expect(approved.operation.context.deployments).toEqual(['backend']);

    const expired = await planner({
      approval: { problem: `approval ${APPROVAL} expired` },
    }).plan(
      { kind: 'emergency', approvalId: APPROVAL, confirmation: 'shop' },
      db,
      'user:default/alice',
    );
    expect(expired.plan.approval).toBe('missing');
    expect(expired.problems.map(p => p.message)).toEqual([
      `approval ${APPROVAL} expired`,
    ]);
  });

  it('lists every problem of a request, refusal types first as they are checked', async () => {
    const { plan, problems } = await planner({ holder: true }).plan(
      {
        kind: 'restore',
        backupKey: 'postgresql/daily/incomplete.dump',
        target: { kind: 'live', database: 'shop' },
        confirmation: 'Shop',
      },
      db,
      'user:default/alice',
    );
    expect(problems.map(p => p.constructor)).toEqual([
      InputError,
      InputError,
      NotAllowedError,
      ConflictError,
    ]);
    expect(plan.problems[0]).toBe(
      'confirmation: type the database name "shop" to restore over it; got "Shop"',
    );
    expect(plan.problems[3]).toMatch(/operation op-1 \(drill\) .* is running/);
  });

  it('verifies and drills in a scratch database it drops, and refuses a target for them', async () => {
    const { plan, operation } = await planner().plan(
      { kind: 'drill', notes: 'n' },
      db,
      'user:default/alice',
    );
    expect(plan.steps.map(s => s.id)).toEqual([
      'restore',
      'verify',
      'cleanup',
      'record',
    ]);
    expect(operation.context.restoreDatabase).toMatch(
      /^shop_verify_[0-9a-f]{12}$/,
    );
    expect(operation.context.scratch).toBe(true);
    expect(operation.drill).toEqual({ notes: 'n' });
    const { problems } = await planner().plan(
      { kind: 'verify', target: { kind: 'live', database: 'shop' } },
      db,
      'user:default/alice',
    );
    expect(problems[0].message).toMatch(/target is only for restore/);
  });
});
