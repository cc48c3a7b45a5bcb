import {
  FleetEntry,
  formatDuration,
} from '@pg-backup/backstage-plugin-pg-backup-common';

const MINUTE_MS = 60_000;

/** Age of the newest recovery point at `now`, or undefined when there is none. */
export function recoveryPointAgeMs(
  entry: FleetEntry,
  now: Date,
): number | undefined {
  if (!entry.recoveryPointTime) return undefined;
  const time = Date.parse(entry.recoveryPointTime);
  return Number.isNaN(time) ? undefined : Math.max(0, now.getTime() - time);
}

/** A duration to the minute, e.g. `1h 12m`; a dash when unknown. */
export function formatMinutes(ms: number | undefined): string {
  if (ms === undefined) return '—';
  return formatDuration(Math.round(ms / MINUTE_MS) * MINUTE_MS);
}

/** A measured value against its objective, e.g. `5h / 6h`; the objective alone when unmeasured. */
export function formatAgainstObjective(
  valueMs: number | undefined,
  objectiveMs: number | undefined,
): string {
  if (objectiveMs === undefined) return formatMinutes(valueMs);
  return `${formatMinutes(valueMs)} / ${formatMinutes(objectiveMs)}`;
}

/** "Evaluated 12:03 UTC, 4m ago": when a row's status was made, to the minute. */
export function describeEvaluation(entry: FleetEntry, now: Date): string {
  const time = Date.parse(entry.evaluatedAt);
  if (Number.isNaN(time)) return 'Evaluation time unknown';
  const at = new Date(time).toISOString();
  const day =
    at.slice(0, 10) === now.toISOString().slice(0, 10)
      ? ''
      : `${at.slice(0, 10)} `;
  return `Evaluated ${day}${at.slice(11, 16)} UTC, ${formatMinutes(
    Math.max(0, now.getTime() - time),
  )} ago`;
}

/** When the latest drill was performed, from the drill record or the older time-only field. */
export function lastDrillTime(entry: FleetEntry): string | undefined {
  return entry.lastDrill?.performedAt ?? entry.lastDrillTime;
}
