import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { RestoreTarget } from '@pg-backup/backstage-plugin-pg-backup-common';
import { parseDatabaseRef } from '../PgBackupClient';
import { PgBackupActionOptions, given } from './PgBackupActionOptions';
import { examples } from './restoreRun.examples';
import {
  approvalIdField,
  backupKeyField,
  confirmationField,
  entityRefField,
  operationOutputFields,
  reasonField,
  restoreTargetField,
  targetOutput,
  verificationOutput,
} from './recoverySchemas';
import {
  outputOperation,
  outputPlan,
  outputVerification,
  runRecoveryOperation,
} from './runRecoveryOperation';

/** The input's target with its defaults applied; undefined lets the backend name a new database. */
export function resolveRestoreTarget(input: {
  target?: {
    kind?: RestoreTarget['kind'];
    database?: string;
    namespace?: string;
    cluster?: string;
  };
  confirmation?: string;
}): RestoreTarget | undefined {
  const kind = input.target?.kind ?? 'new-database';
  const namespace = given(input.target?.namespace);
  const cluster = given(input.target?.cluster);
  const database =
    given(input.target?.database) ??
    (kind === 'live' ? given(input.confirmation) : undefined);
  if (kind === 'new-database') {
    return database ? { kind, database } : undefined;
  }
  if (!database) {
    throw new InputError(
      kind === 'live'
        ? 'target.database is missing for a live restore: set it, or type the database name as confirmation'
        : 'target.database is missing for an other-namespace restore: name the database to restore into',
    );
  }
  if (kind === 'other-namespace' && !namespace) {
    throw new InputError(
      'target.namespace is missing for an other-namespace restore: name the namespace of the target database server',
    );
  }
  return {
    kind,
    database,
    ...(namespace && { namespace }),
    ...(cluster && { cluster }),
  };
}

/** `pg-backup:restore:run`: restores a backup into a new database, another namespace or the live database. */
export function createRestoreRunAction(options: PgBackupActionOptions) {
  return createTemplateAction({
    id: 'pg-backup:restore:run',
    description:
      'Restores a backup of a pg-backup database into a new database (default), the database server of another namespace or cluster, or over the live database (with an approval, the typed database name and a safety backup first), and follows the restore to its end with live step states and Job logs.',
    examples,
    supportsDryRun: true,
    schema: {
      input: z =>
        z.object({
          entityRef: entityRefField(z),
          backupKey: backupKeyField(z),
          target: restoreTargetField(z).optional(),
          approvalId: approvalIdField(z),
          confirmation: confirmationField(z),
          reason: reasonField(z),
        }),
      output: z =>
        z.object({
          ...operationOutputFields(
            z,
            'The backup restored (or that would be).',
          ),
          target: targetOutput(z),
          verification: verificationOutput(z),
        }),
    },
    async handler(ctx) {
      const entity = parseDatabaseRef(ctx.input.entityRef);
      const outcome = await runRecoveryOperation(ctx, options, entity, {
        kind: 'restore',
        backupKey: given(ctx.input.backupKey),
        target: resolveRestoreTarget(ctx.input),
        approvalId: given(ctx.input.approvalId),
        confirmation: given(ctx.input.confirmation),
        reason: given(ctx.input.reason),
      });
      if (outcome.dryRun) {
        outputPlan(ctx, outcome.plan);
        if (outcome.plan.target) ctx.output('target', outcome.plan.target);
        return;
      }
      const { operation } = outcome;
      outputOperation(ctx, operation);
      if (operation.target) ctx.output('target', operation.target);
      outputVerification(ctx, operation);
    },
  });
}
