import { FleetEntry } from '@pg-backup/backstage-plugin-pg-backup-common';

/** Hours in milliseconds. */
export const HOUR = 3_600_000;

/** The time the test fleet is seen at. */
export const NOW = new Date('2026-11-24T10:00:00.000Z');

/** A fleet entry with everything met, to be overridden per test. */
export function fleetEntry(overrides: Partial<FleetEntry> = {}): FleetEntry {
  return {
    entityRef: 'resource:default/orders-postgresql',
    title: 'Orders database',
    owner: 'group:default/platform-team',
    system: 'system:default/shop',
    status: 'healthy',
    summary: 'Last good backup 5h ago — within RPO 6h',
    recoveryPointTime: '2026-11-24T05:00:00.000Z',
    rpoMet: true,
    findingCodes: [],
    lastDrillTime: '2026-10-01T10:00:00.000Z',
    lastDrill: {
      performedAt: '2026-10-01T10:00:00.000Z',
      passed: true,
      measuredRtoMs: 72 * 60_000,
    },
    lastBackupSize: 3 * 1024 * 1024,
    rpoMs: 6 * HOUR,
    rtoMs: 4 * HOUR,
    evaluatedAt: '2026-11-24T10:00:00.000Z',
    ...overrides,
  };
}
