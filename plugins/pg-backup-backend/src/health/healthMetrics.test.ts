import { metrics } from '@opentelemetry/api';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BackupHealth } from '@pg-backup/backstage-plugin-pg-backup-common';
import { HealthSnapshot } from '../database/HealthSnapshotStore';
import { registerHealthMetrics } from './healthMetrics';

class CollectingReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

function snapshot(
  entityRef: string,
  status: BackupHealth['status'],
  extra: Partial<HealthSnapshot>,
): HealthSnapshot {
  return {
    entityRef,
    title: entityRef,
    status,
    summary: status,
    findingCodes: [],
    evaluatedAt: '2026-11-24T10:00:00.000Z',
    health: {
      status,
      summary: status,
      missedRuns: 0,
      findings: [],
      evaluatedAt: '2026-11-24T10:00:00.000Z',
    },
    ...extra,
  };
}

describe('registerHealthMetrics', () => {
  it('exports each database’s recovery point, RPO, drill time and status as gauges', async () => {
    const reader = new CollectingReader();
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
    const snapshots = new Map([
      [
        'resource:default/a',
        snapshot('resource:default/a', 'healthy', {
          recoveryPointTime: '2026-11-24T08:00:00.000Z',
          rpoMet: true,
          lastDrillTime: '2026-10-01T00:00:00.000Z',
        }),
      ],
      [
        'resource:default/b',
        snapshot('resource:default/b', 'critical', { rpoMet: false }),
      ],
    ]);
    registerHealthMetrics(
      () => snapshots,
      () => new Date('2026-11-24T10:00:00.000Z'),
    );

    const { resourceMetrics } = await reader.collect();
    const values = new Map<string, number>();
    for (const scope of resourceMetrics.scopeMetrics)
      for (const metric of scope.metrics)
        for (const point of metric.dataPoints)
          values.set(
            `${metric.descriptor.name}{${point.attributes.entity_ref}}`,
            point.value as number,
          );

    expect(Object.fromEntries(values)).toEqual({
      'pg_backup_health_status{resource:default/a}': 0,
      'pg_backup_health_status{resource:default/b}': 3,
      'pg_backup_last_success_timestamp_seconds{resource:default/a}':
        Date.parse('2026-11-24T08:00:00Z') / 1000,
      'pg_backup_recovery_point_age_seconds{resource:default/a}': 7200,
      'pg_backup_rpo_met{resource:default/a}': 1,
      'pg_backup_rpo_met{resource:default/b}': 0,
      'pg_backup_last_drill_timestamp_seconds{resource:default/a}':
        Date.parse('2026-10-01T00:00:00Z') / 1000,
    });
    metrics.disable();
  });
});
