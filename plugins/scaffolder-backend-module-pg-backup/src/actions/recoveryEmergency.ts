import { formatDuration } from '@pg-backup/backstage-plugin-pg-backup-common';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { parseDatabaseRef } from '../PgBackupClient';
import { PgBackupActionOptions, given } from './PgBackupActionOptions';
import { examples } from './recoveryEmergency.examples';
import {
  approvalIdField,
  backupKeyField,
  confirmationField,
  entityRefField,
  operationOutputFields,
  requiredReasonField,
  verificationOutput,
} from './recoverySchemas';
import {
  outputOperation,
  outputPlan,
  outputVerification,
  runRecoveryOperation,
} from './runRecoveryOperation';

/** `pg-backup:recovery:emergency`: the QAWave runbook's emergency procedure as one followed operation. */
export function createRecoveryEmergencyAction(options: PgBackupActionOptions) {
  return createTemplateAction({
    id: 'pg-backup:recovery:emergency',
    description:
      "Runs the emergency recovery of a pg-backup database: records the dependent Deployments' replica counts, scales them to 0, checks PostgreSQL is running, restores over the live database, verifies, and scales back to the recorded counts (also on failure and cancellation). Needs an approval and the typed database name.",
    examples,
    supportsDryRun: true,
    schema: {
      input: z =>
        z.object({
          entityRef: entityRefField(z),
          backupKey: backupKeyField(z),
          approvalId: approvalIdField(z),
          confirmation: confirmationField(z),
          reason: requiredReasonField(z),
        }),
      output: z =>
        z.object({
          ...operationOutputFields(
            z,
            'The backup restored (or that would be).',
          ),
          recordedReplicas: z
            .record(z.number())
            .optional()
            .describe(
              'Replica counts recorded before scaling down, by Deployment name; the Deployments were scaled back to these.',
            ),
          measuredRtoMs: z
            .number()
            .optional()
            .describe('Start to verified, in milliseconds.'),
          summary: z
            .string()
            .optional()
            .describe(
              'The result in a sentence, e.g. "Recovered from <key> in 1m 35s (objective 4h); Deployments scaled back to backend=2".',
            ),
          verification: verificationOutput(z),
        }),
    },
    async handler(ctx) {
      const entity = parseDatabaseRef(ctx.input.entityRef);
      const outcome = await runRecoveryOperation(ctx, options, entity, {
        kind: 'emergency',
        backupKey: given(ctx.input.backupKey),
        approvalId: given(ctx.input.approvalId),
        confirmation: given(ctx.input.confirmation),
        reason: given(ctx.input.reason),
      });
      if (outcome.dryRun) {
        outputPlan(ctx, outcome.plan);
        return;
      }
      const { operation } = outcome;
      outputOperation(ctx, operation);
      if (operation.recordedReplicas) {
        ctx.output('recordedReplicas', operation.recordedReplicas);
      }
      const { measuredRtoMs, rtoObjectiveMs, recordedReplicas } = operation;
      if (measuredRtoMs !== undefined) {
        ctx.output('measuredRtoMs', measuredRtoMs);
      }
      const summary = `Recovered from ${operation.backupKey}${
        measuredRtoMs !== undefined
          ? ` in ${formatDuration(measuredRtoMs)}`
          : ''
      }${
        rtoObjectiveMs !== undefined
          ? ` (objective ${formatDuration(rtoObjectiveMs)})`
          : ''
      }${
        recordedReplicas
          ? `; Deployments scaled back to ${Object.entries(recordedReplicas)
              .map(([name, count]) => `${name}=${count}`)
              .join(', ')}`
          : ''
      }`;
      ctx.logger.info(summary);
      ctx.output('summary', summary);
      outputVerification(ctx, operation);
    },
  });
}
