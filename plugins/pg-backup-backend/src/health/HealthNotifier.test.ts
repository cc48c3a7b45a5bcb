import { mockServices } from '@backstage/backend-test-utils';
import { HealthFinding } from '@pg-backup/backstage-plugin-pg-backup-common';
import { HealthSnapshot } from '../database/HealthSnapshotStore';
import { RecoveryRecordStore } from '../database/RecoveryRecordStore';
import { createHealthNotifier } from './HealthNotifier';

// The dedup keys the store keeps, without a database (the store itself is tested in stores.test).
function recordsFake() {
  const sent = new Set<string>();
  return {
    markNotified: async (key: string) => {
      if (sent.has(key)) return false;
      sent.add(key);
      return true;
    },
    forgetNotification: async (key: string) => {
      sent.delete(key);
    },
  } as unknown as RecoveryRecordStore;
}

const overdue: HealthFinding = {
  code: 'drill-overdue',
  severity: 'warning',
  message: 'Last recovery drill was 100d ago; one is due every 90d',
};

function snapshot(lastDrillTime: string): HealthSnapshot {
  return {
    entityRef: 'resource:default/qawave-postgresql',
    title: 'QAWave PostgreSQL',
    owner: 'group:default/platform-team',
    status: 'warning',
    summary: overdue.message,
    findingCodes: ['drill-overdue'],
    lastDrillTime,
    evaluatedAt: '2026-11-24T10:00:00.000Z',
    health: {
      status: 'warning',
      summary: overdue.message,
      missedRuns: 0,
      findings: [overdue],
      evaluatedAt: '2026-11-24T10:00:00.000Z',
    },
  };
}

describe('createHealthNotifier', () => {
  it('tells the owner once per overdue drill, and again after the next drill is overdue', async () => {
    const sent: any[] = [];
    const notify = createHealthNotifier({
      notifications: { send: async (n: any) => sent.push(n) } as any,
      records: recordsFake(),
      logger: mockServices.logger.mock(),
      entityLink: ref => `/catalog/${ref}`,
    });
    await notify([snapshot('2026-08-01T00:00:00.000Z')], new Map());
    await notify([snapshot('2026-08-01T00:00:00.000Z')], new Map());
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      recipients: { type: 'entity', entityRef: 'group:default/platform-team' },
      payload: {
        title: 'A recovery drill of QAWave PostgreSQL is overdue',
        description: overdue.message,
        severity: 'normal',
      },
    });
    await notify([snapshot('2026-11-01T00:00:00.000Z')], new Map());
    expect(sent).toHaveLength(2);
  });
});
