/*
 * The recovery engine: operations (restore, verify, emergency, drill) with their steps, the
 * one-operation-per-database lock, approval requests, and drill records with their evidence.
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('pg_backup_operations', table => {
    table.comment(
      'Restores, verifications, emergency recoveries and drills, with their steps',
    );
    table.string('id', 36).primary().notNullable();
    table.string('entity_ref', 255).notNullable();
    table.string('kind', 16).notNullable();
    table.string('state', 16).notNullable();
    table.string('requested_by', 255).notNullable();
    table.string('backup_key', 1024).notNullable();
    table.text('target').nullable().comment('RestoreTarget as JSON');
    table.string('approval_id', 36).nullable();
    table.text('reason').nullable();
    table.text('steps').notNullable().comment('OperationStep[] as JSON');
    table
      .text('recorded_replicas')
      .nullable()
      .comment('Deployment replicas recorded before scaling down, as JSON');
    table.text('verification').nullable().comment('VerificationReport as JSON');
    table.bigInteger('measured_rto_ms').nullable();
    table.bigInteger('rto_objective_ms').nullable();
    table
      .text('context')
      .notNullable()
      .comment(
        'Where it runs (cluster, namespaces, CronJob, databases), to end it after a restart',
      );
    table.text('drill').nullable().comment('Drill checklist and notes as JSON');
    table.string('idempotency_key', 255).nullable();
    table.boolean('cancel_requested').notNullable().defaultTo(false);
    table.string('runner_id', 64).nullable();
    table.string('lease_expires_at', 32).nullable();
    table.string('created_at', 32).notNullable();
    table.string('finished_at', 32).nullable();
    table.text('error').nullable();
    table.index(['entity_ref', 'created_at']);
    table.index(['state', 'lease_expires_at']);
    table.unique(['entity_ref', 'idempotency_key']);
  });
  await knex.schema.createTable('pg_backup_operation_locks', table => {
    table.comment(
      'At most one running operation per database, across backend replicas',
    );
    table.string('entity_ref', 255).primary().notNullable();
    table.string('operation_id', 36).notNullable();
    table.string('kind', 16).notNullable();
    table.string('acquired_at', 32).notNullable();
  });
  await knex.schema.createTable('pg_backup_approvals', table => {
    table.comment('Requests for a second person to approve a restore');
    table.string('id', 36).primary().notNullable();
    table.string('entity_ref', 255).notNullable();
    table.string('kind', 16).notNullable();
    table.string('backup_key', 1024).nullable();
    table.text('target').nullable().comment('RestoreTarget as JSON');
    table.text('reason').notNullable();
    table.string('requested_by', 255).notNullable();
    table
      .string('decision', 16)
      .nullable()
      .comment('approved or rejected; null while pending');
    table.string('created_at', 32).notNullable();
    table.string('expires_at', 32).notNullable();
    table.string('decided_by', 255).nullable();
    table.string('decided_at', 32).nullable();
    table.text('comment').nullable();
    table.string('used_by_operation', 36).nullable();
    table.index(['entity_ref', 'created_at']);
    table.index(['decision', 'expires_at']);
  });
  await knex.schema.alterTable('pg_backup_drills', table => {
    table.string('backup_key', 1024).nullable();
    table.string('operation_id', 36).nullable();
    table.text('checks').nullable().comment('VerificationCheck[] as JSON');
    table.text('checklist').nullable().comment('DrillChecklistItem[] as JSON');
    table.bigInteger('rto_objective_ms').nullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('pg_backup_drills', table => {
    table.dropColumn('rto_objective_ms');
    table.dropColumn('checklist');
    table.dropColumn('checks');
    table.dropColumn('operation_id');
    table.dropColumn('backup_key');
  });
  await knex.schema.dropTable('pg_backup_approvals');
  await knex.schema.dropTable('pg_backup_operation_locks');
  await knex.schema.dropTable('pg_backup_operations');
};
