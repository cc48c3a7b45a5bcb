import {
  FleetEntry,
  HealthStatus,
} from '@pg-backup/backstage-plugin-pg-backup-common';

/** The statuses worst first, as the health rules rank them. */
export const STATUSES_WORST_FIRST: HealthStatus[] = [
  'critical',
  'unknown',
  'warning',
  'healthy',
];

/** The fleet view's filters, as kept in the URL query; absent means "all". */
export interface FleetFilterValues {
  /** One status. */
  status?: HealthStatus;
  /** One owner ref. */
  owner?: string;
  /** One system ref. */
  system?: string;
}

/** The URL query parameter of each filter. */
export type FleetFilterName = keyof FleetFilterValues;

/** Every filter's query parameter. */
export const FLEET_FILTER_NAMES: FleetFilterName[] = [
  'status',
  'owner',
  'system',
];

function isStatus(value: string | null): value is HealthStatus {
  return STATUSES_WORST_FIRST.includes(value as HealthStatus);
}

/** Reads the filters from a URL query; an unknown status is ignored rather than matching nothing. */
export function readFleetFilter(params: URLSearchParams): FleetFilterValues {
  const status = params.get('status');
  return {
    status: isStatus(status) ? status : undefined,
    owner: params.get('owner') || undefined,
    system: params.get('system') || undefined,
  };
}

/** The entries matching every set filter, in their original order. */
export function applyFleetFilter(
  entries: FleetEntry[],
  filter: FleetFilterValues,
): FleetEntry[] {
  return entries.filter(
    entry =>
      (!filter.status || entry.status === filter.status) &&
      (!filter.owner || entry.owner === filter.owner) &&
      (!filter.system || entry.system === filter.system),
  );
}

/** The distinct values of a field, sorted, including the selected one so the control shows it. */
export function filterOptions(
  entries: FleetEntry[],
  field: 'owner' | 'system',
  selected?: string,
): string[] {
  const values = new Set<string>();
  for (const entry of entries) {
    const value = entry[field];
    if (value) values.add(value);
  }
  if (selected) values.add(selected);
  return [...values].sort();
}

/** Orders entries worst status first (for table sorting). */
export function compareStatus(a: FleetEntry, b: FleetEntry): number {
  return (
    STATUSES_WORST_FIRST.indexOf(a.status) -
    STATUSES_WORST_FIRST.indexOf(b.status)
  );
}
