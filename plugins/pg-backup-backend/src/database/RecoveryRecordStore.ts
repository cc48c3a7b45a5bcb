import {
  DrillFacts,
  VerificationFacts,
} from '@internal/plugin-pg-backup-common';
import { Knex } from 'knex';

/** A drill to record. */
export interface DrillRecord extends DrillFacts {
  /** Who recorded it (user entity ref). */
  recordedBy?: string;
  /** Free-text notes (checklist outcome). */
  notes?: string;
}

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
    });
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
