import { TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { ApprovalStore, approvalStateAt } from './ApprovalStore';
import { migrateDatabase } from './migrateDatabase';
import {
  OperationConflict,
  OperationStore,
  StoredOperation,
} from './OperationStore';

process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING ??=
  'postgresql://postgres@127.0.0.1:5432';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const REF = 'resource:default/shop-postgresql';
const LEASE = '2026-11-25T10:01:00.000Z';

let counter = 0;
function operation(extra: Partial<StoredOperation> = {}): StoredOperation {
  counter++;
  return {
    id: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    entityRef: REF,
    kind: 'emergency',
    state: 'pending',
    requestedBy: 'user:default/alice',
    backupKey: 'postgresql/daily/shop_20261125_020000.dump',
    target: { kind: 'live', database: 'shop' },
    steps: [{ id: 'scale-down', title: 'Scale down', state: 'pending' }],
    createdAt: '2026-11-25T10:00:00.000Z',
    context: {
      namespace: 'shop',
      cronJob: 'postgresql-backup',
      jobNamespace: 'shop',
      bucket: 'shop-backups',
      prefix: 'postgresql/daily/',
      restoreDatabase: 'shop',
      scratch: false,
      deployments: ['backend'],
    },
    cancelRequested: false,
    ...extra,
  };
}

describe.each(databases.eachSupportedId())(
  'operation and approval stores on %s',
  databaseId => {
    let knex: Knex;
    beforeAll(async () => {
      knex = await databases.init(databaseId);
      await migrateDatabase({ getClient: async () => knex });
    });
    beforeEach(async () => {
      await knex('pg_backup_operation_locks').delete();
      await knex('pg_backup_operations').delete();
      await knex('pg_backup_approvals').delete();
    });

    it('lets exactly one of two concurrent operations of a database take its lock', async () => {
      const store = new OperationStore(knex);
      const [a, b] = [operation(), operation({ kind: 'restore' })];
      const results = await Promise.allSettled([
        store.create(a, 'runner-1', LEASE),
        store.create(b, 'runner-2', LEASE),
      ]);
      expect(results.map(r => r.status).sort()).toEqual([
        'fulfilled',
        'rejected',
      ]);
      const rejected = results.find(r => r.status === 'rejected') as
        | PromiseRejectedResult
        | undefined;
      expect(rejected?.reason).toBeInstanceOf(OperationConflict);
      const winner = results[0].status === 'fulfilled' ? a : b;
      expect(await store.lockHolder(REF)).toEqual({
        operationId: winner.id,
        kind: winner.kind,
      });
      // Another database is not blocked.
      await store.create(
        operation({ entityRef: 'resource:default/other' }),
        'runner-1',
        LEASE,
      );
    });

    it('finds an operation by idempotency key and refuses the key twice', async () => {
      const store = new OperationStore(knex);
      const first = operation({ idempotencyKey: 'task-7' });
      await store.create(first, 'runner-1', LEASE);
      expect((await store.findByIdempotencyKey(REF, 'task-7'))?.id).toBe(
        first.id,
      );
      await store.finish(
        { ...first, state: 'succeeded', finishedAt: LEASE },
        'runner-1',
      );
      await expect(
        store.create(
          operation({ idempotencyKey: 'task-7' }),
          'runner-1',
          LEASE,
        ),
      ).rejects.toBeInstanceOf(OperationConflict);
      expect(
        await store.findByIdempotencyKey('resource:default/other', 'task-7'),
      ).toBeUndefined();
    });

    it('rolls the operation and its lock back when the same transaction fails', async () => {
      const store = new OperationStore(knex);
      const op = operation();
      await expect(
        store.create(op, 'runner-1', LEASE, async () => {
          throw new Error('approval already used');
        }),
      ).rejects.toThrow('approval already used');
      expect(await store.get(op.id)).toBeUndefined();
      expect(await store.lockHolder(REF)).toBeUndefined();
    });

    it('saves progress only for the runner that owns it, and releases the lock with the end', async () => {
      const store = new OperationStore(knex);
      const op = operation();
      await store.create(op, 'runner-1', LEASE);
      op.state = 'running';
      op.recordedReplicas = { backend: 3 };
      op.steps[0].state = 'succeeded';
      expect(await store.saveProgress(op, 'runner-2')).toBe(false);
      expect(await store.saveProgress(op, 'runner-1')).toBe(true);
      expect(await store.get(op.id)).toMatchObject({
        state: 'running',
        recordedReplicas: { backend: 3 },
        steps: [{ id: 'scale-down', state: 'succeeded' }],
      });
      expect(await store.requestCancel(op.id)).toBe(true);
      expect(await store.isCancelRequested(op.id)).toBe(true);
      expect(
        await store.finish(
          { ...op, state: 'cancelled', finishedAt: LEASE, error: 'cancelled' },
          'runner-1',
        ),
      ).toBe(true);
      expect(await store.lockHolder(REF)).toBeUndefined();
      expect(await store.requestCancel(op.id)).toBe(false);
      expect(await store.get(op.id)).toMatchObject({
        state: 'cancelled',
        error: 'cancelled',
        finishedAt: LEASE,
      });
      expect(await store.listForEntity(REF, 10)).toHaveLength(1);
    });

    it('hands operations whose lease expired to exactly one other runner', async () => {
      const store = new OperationStore(knex);
      const stale = operation();
      const live = operation({ entityRef: 'resource:default/other' });
      await store.create(stale, 'crashed', '2026-11-25T10:00:30.000Z');
      await store.create(live, 'alive', '2026-11-25T10:05:00.000Z');
      const now = '2026-11-25T10:01:00.000Z';
      const [mine, theirs] = await Promise.all([
        store.claimInterrupted(now, 'runner-a', '2026-11-25T10:02:00.000Z'),
        store.claimInterrupted(now, 'runner-b', '2026-11-25T10:02:00.000Z'),
      ]);
      expect([...mine, ...theirs].map(o => o.id)).toEqual([stale.id]);
      const claimer = mine.length ? 'runner-a' : 'runner-b';
      expect(await store.saveProgress(stale, 'crashed')).toBe(false);
      expect(await store.saveProgress(stale, claimer)).toBe(true);
      await store.releaseLease(live.id, 'alive', now);
      expect(
        (
          await store.claimInterrupted(
            '2026-11-25T10:01:01.000Z',
            'runner-c',
            LEASE,
          )
        ).map(o => o.id),
      ).toEqual([live.id]);
    });

    it('keeps approval requests pending until decided once, expires them, and uses an approval once', async () => {
      const store = new ApprovalStore(knex);
      const approval = {
        id: '00000000-0000-4000-9000-000000000001',
        entityRef: REF,
        kind: 'restore' as const,
        backupKey: 'postgresql/daily/shop_20261125_020000.dump',
        target: { kind: 'live' as const, database: 'shop' },
        reason: 'bad migration',
        requestedBy: 'user:default/alice',
        createdAt: '2026-11-25T10:00:00.000Z',
        expiresAt: '2026-11-25T14:00:00.000Z',
      };
      await store.create(approval);
      const at = (iso: string) => new Date(iso);
      const stored = (await store.get(approval.id))!;
      expect(approvalStateAt(stored, at('2026-11-25T11:00:00Z'))).toBe(
        'pending',
      );
      expect(approvalStateAt(stored, at('2026-11-25T14:00:00Z'))).toBe(
        'expired',
      );
      expect(
        (await store.listPending(at('2026-11-25T11:00:00Z'), 10)).length,
      ).toBe(1);
      expect(await store.listPending(at('2026-11-25T15:00:00Z'), 10)).toEqual(
        [],
      );
      // Too late to decide.
      expect(
        await store.decide(
          approval.id,
          'approved',
          'user:default/bob',
          at('2026-11-25T14:00:01Z'),
        ),
      ).toBe(false);
      expect(
        await store.decide(
          approval.id,
          'approved',
          'user:default/bob',
          at('2026-11-25T11:00:00Z'),
          'ok',
        ),
      ).toBe(true);
      expect(
        await store.decide(
          approval.id,
          'rejected',
          'user:default/carol',
          at('2026-11-25T11:00:01Z'),
        ),
      ).toBe(false);
      const decided = (await store.get(approval.id))!;
      expect(decided).toMatchObject({
        decision: 'approved',
        decidedBy: 'user:default/bob',
        comment: 'ok',
      });
      // An approval not used in time expires too; a used one stays approved.
      expect(approvalStateAt(decided, at('2026-11-25T14:00:00Z'))).toBe(
        'expired',
      );
      const results = await Promise.all(
        ['op-1', 'op-2'].map(op =>
          knex.transaction(trx => store.markUsed(approval.id, op, trx)),
        ),
      );
      expect(results.sort()).toEqual([false, true]);
      const used = (await store.get(approval.id))!;
      expect(approvalStateAt(used, at('2026-11-25T15:00:00Z'))).toBe(
        'approved',
      );
      expect(await store.listForEntity(REF, 10)).toHaveLength(1);
    });
  },
);
