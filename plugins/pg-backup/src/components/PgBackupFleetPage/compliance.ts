import { FleetEntry } from '@pg-backup/backstage-plugin-pg-backup-common';

/** Findings that mean the newest backup is not known to restore. */
const VERIFICATION_PROBLEMS = new Set([
  'backup-never-verified',
  'verification-failed',
  'latest-backup-unverified',
  // Nothing to restore means nothing verified, whatever an older verification record says.
  'no-backups',
  // The fleet only carries codes, not which fact was unreadable; an unreadable fact may hide a
  // verification problem, so the backup is not counted as verified.
  'fact-unavailable',
]);

/** Findings that mean the recovery drills are not up to their objectives. */
const DRILL_PROBLEMS = new Set([
  'drill-never-run',
  'drill-overdue',
  'drill-failed',
  'drill-rto-exceeded',
]);

/** Which backup objectives one database meets. */
export interface EntryCompliance {
  /** The newest recovery point is within the RPO. */
  meetsRpo: boolean;
  /** The newest backup is known to be verified by a restore. */
  verified: boolean;
  /** A drill is recorded, recent, passed and within the RTO. */
  drillCompliant: boolean;
}

/** How many databases of a fleet meet each objective. */
export interface FleetCompliance {
  /** Databases counted. */
  total: number;
  /** Databases within their RPO. */
  meetsRpo: number;
  /** Databases whose newest backup is verified. */
  verified: number;
  /** Databases whose drills are up to date. */
  drillCompliant: number;
}

/** Which objectives a database meets; anything not known to be met counts as not met. */
export function entryCompliance(entry: FleetEntry): EntryCompliance {
  const codes = entry.findingCodes;
  // Without a recorded drill there is nothing to be compliant with, e.g. when the drill
  // records could not be read and so no drill finding was produced.
  const drillKnown = Boolean(entry.lastDrill ?? entry.lastDrillTime);
  return {
    meetsRpo: entry.rpoMet === true,
    verified: !codes.some(code => VERIFICATION_PROBLEMS.has(code)),
    drillCompliant: drillKnown && !codes.some(code => DRILL_PROBLEMS.has(code)),
  };
}

/** Counts the databases meeting each objective. */
export function fleetCompliance(entries: FleetEntry[]): FleetCompliance {
  const result = {
    total: entries.length,
    meetsRpo: 0,
    verified: 0,
    drillCompliant: 0,
  };
  for (const entry of entries) {
    const compliance = entryCompliance(entry);
    if (compliance.meetsRpo) result.meetsRpo += 1;
    if (compliance.verified) result.verified += 1;
    if (compliance.drillCompliant) result.drillCompliant += 1;
  }
  return result;
}
