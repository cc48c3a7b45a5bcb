import {
  BackupHealth,
  DrillFacts,
  FleetEntry,
  HealthStatus,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import { Knex } from 'knex';

const TABLE = 'pg_backup_health_snapshots';

/** What is stored for one database. */
export interface HealthSnapshot extends FleetEntry {
  /** The full evaluation. */
  health: BackupHealth;
  /** When to re-evaluate it before the next fleet refresh (ISO-8601), if ever. */
  recheckAt?: string;
}

/** Filters of the fleet view. */
export interface FleetFilter {
  /** Owner refs to include. */
  owners?: string[];
  /** System refs to include. */
  systems?: string[];
  /** Statuses to include. */
  statuses?: HealthStatus[];
  /** At most this many entries. */
  limit?: number;
}

interface Row {
  entity_ref: string;
  title: string;
  owner: string | null;
  system: string | null;
  status: HealthStatus;
  summary: string;
  recovery_point_time: string | null;
  rpo_met: boolean | number | null;
  finding_codes: string;
  last_drill_time: string | null;
  last_drill: string | null;
  last_backup_size: number | string | null;
  rpo_ms: number | string | null;
  rto_ms: number | string | null;
  health: string;
  evaluated_at: string;
  recheck_at?: string | null;
}

/** The latest health evaluation of every annotated database, for the fleet view and metrics. */
export class HealthSnapshotStore {
  constructor(private readonly knex: Knex) {}

  /**
   * Inserts or replaces snapshots, in batches. A stored snapshot evaluated later than the given
   * one is kept: a fleet refresh that began before a single database was re-evaluated (after a
   * drill, a verification or a recheck) stores its older view last, and must not undo it.
   */
  async upsert(snapshots: HealthSnapshot[]): Promise<void> {
    const rows: Row[] = snapshots.map(s => ({
      entity_ref: s.entityRef,
      title: s.title,
      owner: s.owner ?? null,
      system: s.system ?? null,
      status: s.status,
      summary: s.summary,
      recovery_point_time: s.recoveryPointTime ?? null,
      rpo_met: s.rpoMet ?? null,
      finding_codes: JSON.stringify(s.findingCodes),
      last_drill_time: s.lastDrillTime ?? null,
      last_drill: s.lastDrill ? JSON.stringify(s.lastDrill) : null,
      last_backup_size: s.lastBackupSize ?? null,
      rpo_ms: s.rpoMs ?? null,
      rto_ms: s.rtoMs ?? null,
      health: JSON.stringify(s.health),
      evaluated_at: s.evaluatedAt,
      recheck_at: s.recheckAt ?? null,
    }));
    for (let i = 0; i < rows.length; i += 100) {
      await this.knex<Row>(TABLE)
        .insert(rows.slice(i, i + 100))
        .onConflict('entity_ref')
        .merge()
        .where(
          `${TABLE}.evaluated_at`,
          '<=',
          this.knex.ref('excluded.evaluated_at'),
        );
    }
  }

  /** Deletes the snapshots of databases that are no longer annotated. */
  async retainOnly(entityRefs: string[]): Promise<number> {
    const keep = new Set(entityRefs);
    const stale = (await this.knex<Row>(TABLE).select('entity_ref'))
      .map(r => r.entity_ref)
      .filter(ref => !keep.has(ref));
    for (let i = 0; i < stale.length; i += 500) {
      await this.knex<Row>(TABLE)
        .whereIn('entity_ref', stale.slice(i, i + 500))
        .delete();
    }
    return stale.length;
  }

  /** The databases whose recheck time has come, soonest first (ISO-8601 strings sort by time). */
  async dueForRecheck(now: Date, limit: number): Promise<string[]> {
    const rows = await this.knex<Row>(TABLE)
      .select('entity_ref')
      .whereNotNull('recheck_at')
      .where('recheck_at', '<=', now.toISOString())
      .orderBy('recheck_at')
      .limit(limit);
    return rows.map(r => r.entity_ref);
  }

  /**
   * Sets when a database's snapshot is rechecked: by the first recheck after `at` (after "back
   * up now"), or, without a time, not before its next evaluation.
   */
  async setRecheck(entityRef: string, at: Date | undefined): Promise<void> {
    await this.knex<Row>(TABLE)
      .where('entity_ref', entityRef)
      .update({ recheck_at: at?.toISOString() ?? null });
  }

  /** Fleet entries matching the filter (full health not included). */
  async list(filter: FleetFilter = {}): Promise<FleetEntry[]> {
    let query = this.knex<Row>(TABLE).select(
      'entity_ref',
      'title',
      'owner',
      'system',
      'status',
      'summary',
      'recovery_point_time',
      'rpo_met',
      'finding_codes',
      'last_drill_time',
      'last_drill',
      'last_backup_size',
      'rpo_ms',
      'rto_ms',
      'evaluated_at',
    );
    if (filter.owners?.length) query = query.whereIn('owner', filter.owners);
    if (filter.systems?.length) query = query.whereIn('system', filter.systems);
    if (filter.statuses?.length)
      query = query.whereIn('status', filter.statuses);
    if (filter.limit !== undefined) query = query.limit(filter.limit);
    const rows = (await query.orderBy('entity_ref')) as Row[];
    return rows.map(toEntry);
  }

  /** One database's snapshot including the full evaluation. */
  async get(entityRef: string): Promise<HealthSnapshot | undefined> {
    const row = await this.knex<Row>(TABLE)
      .where('entity_ref', entityRef)
      .first();
    return row
      ? { ...toEntry(row), health: JSON.parse(row.health) as BackupHealth }
      : undefined;
  }
}

function toEntry(row: Row): FleetEntry {
  return {
    entityRef: row.entity_ref,
    title: row.title,
    ...(row.owner && { owner: row.owner }),
    ...(row.system && { system: row.system }),
    status: row.status,
    summary: row.summary,
    ...(row.recovery_point_time && {
      recoveryPointTime: row.recovery_point_time,
    }),
    ...(row.rpo_met !== null && { rpoMet: Boolean(row.rpo_met) }),
    findingCodes: JSON.parse(row.finding_codes) as string[],
    ...(row.last_drill_time && { lastDrillTime: row.last_drill_time }),
    ...(row.last_drill && {
      lastDrill: JSON.parse(row.last_drill) as DrillFacts,
    }),
    ...(row.last_backup_size !== null && {
      lastBackupSize: Number(row.last_backup_size),
    }),
    ...(row.rpo_ms !== null && { rpoMs: Number(row.rpo_ms) }),
    ...(row.rto_ms !== null && { rtoMs: Number(row.rto_ms) }),
    evaluatedAt: row.evaluated_at,
  };
}
