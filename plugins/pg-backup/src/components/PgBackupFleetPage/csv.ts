import { FleetEntry } from '@pg-backup/backstage-plugin-pg-backup-common';
import { entryCompliance } from './compliance';
import { lastDrillTime, recoveryPointAgeMs } from './fleetFigures';

/** A CSV cell: text is quoted and neutralised as needed, numbers and booleans are written as is. */
export type CsvValue = string | number | boolean | undefined;

/** The columns of the fleet export, in order. */
export const FLEET_CSV_COLUMNS = [
  'database',
  'title',
  'status',
  'summary',
  'recovery_point_time',
  'recovery_point_age_hours',
  'rpo_hours',
  'rpo_met',
  'last_backup_bytes',
  'last_drill_time',
  'last_drill_passed',
  'last_drill_rto_minutes',
  'rto_minutes',
  'verified',
  'drill_compliant',
  'owner',
  'system',
] as const;

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
// Spreadsheets evaluate cells starting with these as formulas (CSV injection).
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One cell, RFC 4180 quoted, with text that a spreadsheet would run as a formula defused. */
export function csvField(value: CsvValue): string {
  if (value === undefined) return '';
  if (typeof value === 'number')
    return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Rows as CSV text with CRLF line ends (RFC 4180). */
export function toCsv(rows: CsvValue[][]): string {
  return rows.map(row => `${row.map(csvField).join(',')}\r\n`).join('');
}

const round = (value: number, digits: number) =>
  Math.round(value * 10 ** digits) / 10 ** digits;
const inUnits = (ms: number | undefined, unitMs: number, digits: number) =>
  ms === undefined ? undefined : round(ms / unitMs, digits);

/** The fleet export: a header and one row per entry, ages measured at `now`. */
export function fleetCsv(entries: FleetEntry[], now: Date): string {
  const rows = entries.map((entry): CsvValue[] => {
    const compliance = entryCompliance(entry);
    return [
      entry.entityRef,
      entry.title,
      entry.status,
      entry.summary,
      entry.recoveryPointTime,
      inUnits(recoveryPointAgeMs(entry, now), HOUR_MS, 2),
      inUnits(entry.rpoMs, HOUR_MS, 2),
      entry.rpoMet,
      entry.lastBackupSize,
      lastDrillTime(entry),
      entry.lastDrill?.passed,
      inUnits(entry.lastDrill?.measuredRtoMs, MINUTE_MS, 1),
      inUnits(entry.rtoMs, MINUTE_MS, 1),
      compliance.verified,
      compliance.drillCompliant,
      entry.owner,
      entry.system,
    ];
  });
  return toCsv([[...FLEET_CSV_COLUMNS], ...rows]);
}
