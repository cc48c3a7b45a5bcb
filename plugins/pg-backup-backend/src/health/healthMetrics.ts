import { metrics } from '@opentelemetry/api';
import { HealthSnapshot } from '../database/HealthSnapshotStore';

const STATUS_VALUE = {
  healthy: 0,
  warning: 1,
  unknown: 2,
  critical: 3,
} as const;

/**
 * Exports fleet health as OpenTelemetry gauges (observed from the latest snapshots), so
 * Prometheus alerts can use them: last successful backup time, recovery point age, RPO met,
 * last drill time and status, each labelled with the entity ref.
 */
export function registerHealthMetrics(
  snapshots: () => ReadonlyMap<string, HealthSnapshot>,
  now: () => Date = () => new Date(),
): void {
  const meter = metrics.getMeter('pg-backup');
  const lastBackup = meter.createObservableGauge(
    'pg_backup_last_success_timestamp_seconds',
    {
      description: 'Time of the newest recoverable backup (Unix seconds)',
      unit: 's',
    },
  );
  const pointAge = meter.createObservableGauge(
    'pg_backup_recovery_point_age_seconds',
    {
      description: 'Age of the newest recoverable point',
      unit: 's',
    },
  );
  const rpoMet = meter.createObservableGauge('pg_backup_rpo_met', {
    description: '1 when the recovery point is within the RPO, 0 when not',
  });
  const lastDrill = meter.createObservableGauge(
    'pg_backup_last_drill_timestamp_seconds',
    {
      description: 'Time of the latest recorded recovery drill (Unix seconds)',
      unit: 's',
    },
  );
  const status = meter.createObservableGauge('pg_backup_health_status', {
    description: 'Health status: 0 healthy, 1 warning, 2 unknown, 3 critical',
  });
  meter.addBatchObservableCallback(
    result => {
      const at = now().getTime();
      for (const snapshot of snapshots().values()) {
        const labels = { entity_ref: snapshot.entityRef };
        result.observe(status, STATUS_VALUE[snapshot.status], labels);
        if (snapshot.recoveryPointTime) {
          const time = Date.parse(snapshot.recoveryPointTime);
          result.observe(lastBackup, time / 1000, labels);
          result.observe(pointAge, Math.max(0, (at - time) / 1000), labels);
        }
        if (snapshot.rpoMet !== undefined)
          result.observe(rpoMet, snapshot.rpoMet ? 1 : 0, labels);
        if (snapshot.lastDrillTime)
          result.observe(
            lastDrill,
            Date.parse(snapshot.lastDrillTime) / 1000,
            labels,
          );
      }
    },
    [lastBackup, pointAge, rpoMet, lastDrill, status],
  );
}
