/*
 * When a database's snapshot is next re-evaluated outside the scheduled fleet refresh: at its
 * next scheduled backup or checkpoint, and while one of its Jobs runs, so the fleet shows a
 * finished backup within one recheck interval.
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.alterTable('pg_backup_health_snapshots', table => {
    table.string('recheck_at', 32).nullable().index();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('pg_backup_health_snapshots', table => {
    table.dropColumn('recheck_at');
  });
};
