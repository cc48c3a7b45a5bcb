/*
 * Fleet details: the latest drill with its measured RTO, the last backup's size and the
 * objectives, so the fleet page shows them without reading every full evaluation.
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.alterTable('pg_backup_health_snapshots', table => {
    table.text('last_drill').nullable();
    table.bigInteger('last_backup_size').nullable();
    table.bigInteger('rpo_ms').nullable();
    table.bigInteger('rto_ms').nullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('pg_backup_health_snapshots', table => {
    table.dropColumn('rto_ms');
    table.dropColumn('rpo_ms');
    table.dropColumn('last_backup_size');
    table.dropColumn('last_drill');
  });
};
