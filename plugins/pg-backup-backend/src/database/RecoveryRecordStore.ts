import {
  DrillFacts,
  DrillRecordEntry,
  VerificationFacts,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import { Knex } from 'knex';

/** A drill to record: the facts and its evidence. */
export type DrillRecord = Omit<DrillRecordEntry, 'id'>;

const parseJson = <T>(text: string | null): T | undefined =>
  text ? (JSON.parse(text) as T) : undefined;

/** Verification and drill records: the evidence that backups restore. */
export class RecoveryRecordStore {
  constructor(private readonly knex: Knex) {}

  /** Records one verify run. */
  async addVerification(
    entityRef: string,
    v: VerificationFacts,
  ): Promise<void> {
    await this.knex('pg_backup_verifications').insert({
      entity_ref: entityRef,
      backup_key: v.backupKey,
      verified_at: v.verifiedAt,
      passed: v.passed,
      summary: v.summary ?? null,
    });
  }

  /** The newest verification of a database. */
  async latestVerification(
    entityRef: string,
  ): Promise<VerificationFacts | undefined> {
    const row = await this.knex('pg_backup_verifications')
      .where('entity_ref', entityRef)
      .orderBy([
        { column: 'verified_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .first();
    return row
      ? {
          backupKey: row.backup_key,
          verifiedAt: row.verified_at,
          passed: Boolean(row.passed),
          ...(row.summary && { summary: row.summary }),
        }
      : undefined;
  }

  /** The newest verification and drill of every database (two queries, for a fleet refresh). */
  async latestOfAll(): Promise<{
    verifications: Map<string, VerificationFacts>;
    drills: Map<string, DrillFacts>;
  }> {
    const verifications = new Map<string, VerificationFacts>();
    const drills = new Map<string, DrillFacts>();
    const newestVerifications = this.knex('pg_backup_verifications')
      .select('entity_ref')
      .max('verified_at as verified_at')
      .groupBy('entity_ref');
    for (const row of await this.knex('pg_backup_verifications')
      .join(newestVerifications.as('v'), function joinNewest() {
        this.on(
          'pg_backup_verifications.entity_ref',
          '=',
          'v.entity_ref',
        ).andOn('pg_backup_verifications.verified_at', '=', 'v.verified_at');
      })
      .select('pg_backup_verifications.*')
      .orderBy('pg_backup_verifications.id')) {
      verifications.set(row.entity_ref, {
        backupKey: row.backup_key,
        verifiedAt: row.verified_at,
        passed: Boolean(row.passed),
        ...(row.summary && { summary: row.summary }),
      });
    }
    const newestDrills = this.knex('pg_backup_drills')
      .select('entity_ref')
      .max('performed_at as performed_at')
      .groupBy('entity_ref');
    for (const row of await this.knex('pg_backup_drills')
      .join(newestDrills.as('d'), function joinNewest() {
        this.on('pg_backup_drills.entity_ref', '=', 'd.entity_ref').andOn(
          'pg_backup_drills.performed_at',
          '=',
          'd.performed_at',
        );
      })
      .select('pg_backup_drills.*')
      .orderBy('pg_backup_drills.id')) {
      drills.set(row.entity_ref, {
        performedAt: row.performed_at,
        passed: Boolean(row.passed),
        ...(row.measured_rto_ms !== null && {
          measuredRtoMs: Number(row.measured_rto_ms),
        }),
      });
    }
    return { verifications, drills };
  }

  /** Verification state of the given backups (latest run per key). */
  async verificationsOf(
    entityRef: string,
    keys: string[],
  ): Promise<Map<string, boolean>> {
    const result = new Map<string, boolean>();
    if (keys.length === 0) return result;
    const rows = await this.knex('pg_backup_verifications')
      .where('entity_ref', entityRef)
      .whereIn('backup_key', keys)
      .orderBy([
        { column: 'verified_at', order: 'asc' },
        { column: 'id', order: 'asc' },
      ]);
    for (const row of rows) result.set(row.backup_key, Boolean(row.passed));
    return result;
  }

  /** Records one drill. */
  async addDrill(entityRef: string, drill: DrillRecord): Promise<void> {
    await this.knex('pg_backup_drills').insert({
      entity_ref: entityRef,
      performed_at: drill.performedAt,
      passed: drill.passed,
      measured_rto_ms: drill.measuredRtoMs ?? null,
      recorded_by: drill.recordedBy ?? null,
      notes: drill.notes ?? null,
      backup_key: drill.backupKey ?? null,
      operation_id: drill.operationId ?? null,
      checks: drill.checks ? JSON.stringify(drill.checks) : null,
      checklist: drill.checklist ? JSON.stringify(drill.checklist) : null,
      rto_objective_ms: drill.rtoObjectiveMs ?? null,
    });
  }

  /** A database's drills with their evidence, newest first. */
  async listDrills(entityRef: string, limit = 50): Promise<DrillRecordEntry[]> {
    const rows = await this.knex('pg_backup_drills')
      .where('entity_ref', entityRef)
      .orderBy([
        { column: 'performed_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(limit);
    return rows.map(row => ({
      id: String(row.id),
      performedAt: row.performed_at,
      passed: Boolean(row.passed),
      ...(row.measured_rto_ms !== null && {
        measuredRtoMs: Number(row.measured_rto_ms),
      }),
      ...(row.recorded_by && { recordedBy: row.recorded_by }),
      ...(row.backup_key && { backupKey: row.backup_key }),
      ...(row.operation_id && { operationId: row.operation_id }),
      ...(row.rto_objective_ms !== null && {
        rtoObjectiveMs: Number(row.rto_objective_ms),
      }),
      ...(row.checks && { checks: parseJson(row.checks) }),
      ...(row.checklist && { checklist: parseJson(row.checklist) }),
      ...(row.notes && { notes: row.notes }),
    }));
  }

  /** The newest drill of a database. */
  async latestDrill(entityRef: string): Promise<DrillFacts | undefined> {
    const row = await this.knex('pg_backup_drills')
      .where('entity_ref', entityRef)
      .orderBy([
        { column: 'performed_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .first();
    return row
      ? {
          performedAt: row.performed_at,
          passed: Boolean(row.passed),
          ...(row.measured_rto_ms !== null && {
            measuredRtoMs: Number(row.measured_rto_ms),
          }),
        }
      : undefined;
  }

  /** Remembers a notification; false when it was already sent (so it is not sent again). */
  async markNotified(dedupKey: string, now: Date): Promise<boolean> {
    const inserted = await this.knex('pg_backup_notifications_sent')
      .insert({ dedup_key: dedupKey, sent_at: now.toISOString() })
      .onConflict('dedup_key')
      .ignore()
      .returning('dedup_key');
    return inserted.length > 0;
  }

  /** Forgets a notification, so the event is notified again when it recurs. */
  async forgetNotification(dedupKey: string): Promise<void> {
    await this.knex('pg_backup_notifications_sent')
      .where('dedup_key', dedupKey)
      .delete();
  }
}
