import { TestDatabases } from '@backstage/backend-test-utils';
import { BackupHealth } from '@pg-backup/backstage-plugin-pg-backup-common';
import { HealthSnapshot, HealthSnapshotStore } from './HealthSnapshotStore';
import { migrateDatabase } from './migrateDatabase';
import { RecoveryRecordStore } from './RecoveryRecordStore';

// The machine's PostgreSQL 15 (trust auth on 127.0.0.1) stands in for the docker one.
process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING ??=
  'postgresql://postgres@127.0.0.1:5432';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

function snapshot(
  entityRef: string,
  status: BackupHealth['status'],
  extra: Partial<HealthSnapshot> = {},
): HealthSnapshot {
  const health: BackupHealth = {
    status,
    summary: `${entityRef} is ${status}`,
    missedRuns: 0,
    findings: [],
    evaluatedAt: '2026-11-24T10:00:00.000Z',
  };
  return {
    entityRef,
    title: entityRef.split('/')[1],
    status,
    summary: health.summary,
    findingCodes: [],
    evaluatedAt: health.evaluatedAt,
    health,
    ...extra,
  };
}

describe.each(databases.eachSupportedId())('stores on %s', databaseId => {
  async function open() {
    const knex = await databases.init(databaseId);
    await migrateDatabase({ getClient: async () => knex });
    return knex;
  }

  it('keeps one snapshot per database, filters the fleet and forgets removed databases', async () => {
    const store = new HealthSnapshotStore(await open());
    await store.upsert([
      snapshot('resource:default/a', 'healthy', {
        owner: 'group:default/platform-team',
        system: 'system:default/qawave',
        rpoMet: true,
        recoveryPointTime: '2026-11-24T02:00:00.000Z',
        lastDrillTime: '2026-10-01T09:00:00.000Z',
        lastDrill: {
          performedAt: '2026-10-01T09:00:00.000Z',
          passed: true,
          measuredRtoMs: 4_200_000,
        },
        // Beyond 32 bits: a 50 GiB dump.
        lastBackupSize: 53_687_091_200,
        rpoMs: 21_600_000,
        rtoMs: 14_400_000,
      }),
      snapshot('resource:default/b', 'critical', {
        owner: 'group:default/orders-team',
        rpoMet: false,
        findingCodes: ['rpo-exceeded'],
      }),
      snapshot('resource:default/c', 'unknown'),
    ]);
    await store.upsert([snapshot('resource:default/c', 'warning')]);

    expect((await store.list()).map(e => [e.entityRef, e.status])).toEqual([
      ['resource:default/a', 'healthy'],
      ['resource:default/b', 'critical'],
      ['resource:default/c', 'warning'],
    ]);
    expect(
      (await store.list({ owners: ['group:default/orders-team'] })).map(
        e => e.entityRef,
      ),
    ).toEqual(['resource:default/b']);
    expect(
      (await store.list({ statuses: ['healthy', 'warning'] })).map(
        e => e.entityRef,
      ),
    ).toEqual(['resource:default/a', 'resource:default/c']);
    expect(await store.list({ systems: ['system:default/qawave'] })).toEqual([
      expect.objectContaining({
        entityRef: 'resource:default/a',
        rpoMet: true,
        lastDrillTime: '2026-10-01T09:00:00.000Z',
        lastDrill: {
          performedAt: '2026-10-01T09:00:00.000Z',
          passed: true,
          measuredRtoMs: 4_200_000,
        },
        lastBackupSize: 53_687_091_200,
        rpoMs: 21_600_000,
        rtoMs: 14_400_000,
      }),
    ]);
    expect(
      (await store.list({ owners: ['group:default/orders-team'] }))[0],
    ).not.toHaveProperty('lastBackupSize');
    const b = await store.get('resource:default/b');
    expect(b).toMatchObject({ rpoMet: false, findingCodes: ['rpo-exceeded'] });
    expect(b?.health.summary).toBe('resource:default/b is critical');

    expect(await store.retainOnly(['resource:default/a'])).toBe(2);
    expect((await store.list()).map(e => e.entityRef)).toEqual([
      'resource:default/a',
    ]);
  });

  it('keeps a snapshot evaluated later than the one stored over it', async () => {
    const store = new HealthSnapshotStore(await open());
    // A single database re-evaluated after a drill, then a fleet refresh that began before it.
    await store.upsert([
      snapshot('resource:default/a', 'healthy', {
        evaluatedAt: '2026-11-24T10:00:05.000Z',
      }),
    ]);
    await store.upsert([
      snapshot('resource:default/a', 'warning', {
        evaluatedAt: '2026-11-24T10:00:00.000Z',
      }),
      snapshot('resource:default/b', 'critical'),
    ]);
    expect((await store.list()).map(e => [e.entityRef, e.status])).toEqual([
      ['resource:default/a', 'healthy'],
      ['resource:default/b', 'critical'],
    ]);
    // A later evaluation replaces it.
    await store.upsert([
      snapshot('resource:default/a', 'critical', {
        evaluatedAt: '2026-11-24T10:00:09.000Z',
      }),
    ]);
    expect((await store.get('resource:default/a'))?.status).toBe('critical');
  });

  it('returns the newest verification and drill, verification state per key, and notifies once', async () => {
    const records = new RecoveryRecordStore(await open());
    const ref = 'resource:default/a';
    expect(await records.latestVerification(ref)).toBeUndefined();
    expect(await records.latestDrill(ref)).toBeUndefined();

    await records.addVerification(ref, {
      backupKey: 'k1',
      verifiedAt: '2026-11-20T03:00:00Z',
      passed: true,
    });
    await records.addVerification(ref, {
      backupKey: 'k2',
      verifiedAt: '2026-11-22T03:00:00Z',
      passed: false,
      summary: 'row count orders: 10 != 11',
    });
    await records.addVerification('resource:default/other', {
      backupKey: 'k3',
      verifiedAt: '2026-11-23T03:00:00Z',
      passed: true,
    });
    expect(await records.latestVerification(ref)).toEqual({
      backupKey: 'k2',
      verifiedAt: '2026-11-22T03:00:00Z',
      passed: false,
      summary: 'row count orders: 10 != 11',
    });
    expect(await records.verificationsOf(ref, ['k1', 'k2', 'k3'])).toEqual(
      new Map([
        ['k1', true],
        ['k2', false],
      ]),
    );

    await records.addDrill(ref, {
      performedAt: '2026-08-01T10:00:00Z',
      passed: true,
      measuredRtoMs: 5_400_000,
    });
    await records.addDrill(ref, {
      performedAt: '2026-11-01T10:00:00Z',
      passed: false,
      recordedBy: 'user:default/alice',
    });
    expect(await records.latestDrill(ref)).toEqual({
      performedAt: '2026-11-01T10:00:00Z',
      passed: false,
    });

    await records.addDrill(ref, {
      performedAt: '2026-11-02T10:00:00Z',
      passed: true,
      measuredRtoMs: 95_000,
      recordedBy: 'user:default/alice',
      backupKey: 'k1',
      operationId: '00000000-0000-4000-8000-000000000001',
      rtoObjectiveMs: 14_400_000,
      checks: [{ name: 'tableCount', expected: 3, actual: 3, passed: true }],
      checklist: [{ phase: 'pre', item: 'Stakeholders notified', done: true }],
      notes: 'went well',
    });
    expect(await records.listDrills(ref)).toEqual([
      {
        id: expect.any(String),
        performedAt: '2026-11-02T10:00:00Z',
        passed: true,
        measuredRtoMs: 95_000,
        recordedBy: 'user:default/alice',
        backupKey: 'k1',
        operationId: '00000000-0000-4000-8000-000000000001',
        rtoObjectiveMs: 14_400_000,
        checks: [{ name: 'tableCount', expected: 3, actual: 3, passed: true }],
        checklist: [
          { phase: 'pre', item: 'Stakeholders notified', done: true },
        ],
        notes: 'went well',
      },
      expect.objectContaining({ performedAt: '2026-11-01T10:00:00Z' }),
      expect.objectContaining({ performedAt: '2026-08-01T10:00:00Z' }),
    ]);
    expect(await records.listDrills(ref, 1)).toHaveLength(1);

    const all = await records.latestOfAll();
    expect(all.verifications.get(ref)).toEqual(
      await records.latestVerification(ref),
    );
    expect(all.verifications.get('resource:default/other')?.backupKey).toBe(
      'k3',
    );
    expect(all.drills.get(ref)).toEqual(await records.latestDrill(ref));
    expect(all.drills.get(ref)?.measuredRtoMs).toBe(95_000);
    expect(all.drills.size).toBe(1);

    const now = new Date('2026-11-24T10:00:00Z');
    expect(await records.markNotified('critical:resource:default/a', now)).toBe(
      true,
    );
    expect(await records.markNotified('critical:resource:default/a', now)).toBe(
      false,
    );
    await records.forgetNotification('critical:resource:default/a');
    expect(await records.markNotified('critical:resource:default/a', now)).toBe(
      true,
    );
  });
});
