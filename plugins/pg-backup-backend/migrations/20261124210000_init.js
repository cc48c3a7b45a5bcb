/*
 * pg-backup's own tables: fleet health snapshots, verification and drill records, and the
 * notifications already sent (for deduplication).
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('pg_backup_health_snapshots', table => {
    table.comment(
      'Latest health evaluation per annotated database (fleet view, metrics)',
    );
    table.string('entity_ref', 255).primary().notNullable();
    table.string('title', 255).notNullable();
    table.string('owner', 255).nullable();
    table.string('system', 255).nullable();
    table.string('status', 16).notNullable().index();
    table.text('summary').notNullable();
    table.string('recovery_point_time', 32).nullable();
    table.boolean('rpo_met').nullable();
    table.text('finding_codes').notNullable();
    table.string('last_drill_time', 32).nullable();
    table.text('health').notNullable();
    table.string('evaluated_at', 32).notNullable();
  });
  await knex.schema.createTable('pg_backup_verifications', table => {
    table.comment('Outcomes of verify runs against restored backups');
    table.increments('id');
    table.string('entity_ref', 255).notNullable();
    table.string('backup_key', 1024).notNullable();
    table.string('verified_at', 32).notNullable();
    table.boolean('passed').notNullable();
    table.text('summary').nullable();
    table.index(['entity_ref', 'verified_at']);
  });
  await knex.schema.createTable('pg_backup_drills', table => {
    table.comment('Recovery drill records');
    table.increments('id');
    table.string('entity_ref', 255).notNullable();
    table.string('performed_at', 32).notNullable();
    table.boolean('passed').notNullable();
    table.bigInteger('measured_rto_ms').nullable();
    table.string('recorded_by', 255).nullable();
    table.text('notes').nullable();
    table.index(['entity_ref', 'performed_at']);
  });
  await knex.schema.createTable('pg_backup_notifications_sent', table => {
    table.comment('Notifications already sent, so each event is notified once');
    table.string('dedup_key', 512).primary().notNullable();
    table.string('sent_at', 32).notNullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('pg_backup_notifications_sent');
  await knex.schema.dropTable('pg_backup_drills');
  await knex.schema.dropTable('pg_backup_verifications');
  await knex.schema.dropTable('pg_backup_health_snapshots');
};
