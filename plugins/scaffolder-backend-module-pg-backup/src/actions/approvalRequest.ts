import { stringifyEntityRef } from '@backstage/catalog-model';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { ApprovalWaitSlots } from '../ApprovalWaitSlots';
import { parseDatabaseRef } from '../PgBackupClient';
import {
  PgBackupActionOptions,
  clientForInitiator,
  given,
} from './PgBackupActionOptions';
import { examples } from './approvalRequest.examples';
import {
  backupKeyField,
  confirmationField,
  dryRunOutput,
  entityRefField,
  requiredReasonField,
  restoreTargetField,
} from './recoverySchemas';
import { resolveRestoreTarget } from './restoreRun';
import { describeTarget } from './runRecoveryOperation';

/** `pg-backup:approval:request`: asks a second person to approve a restore. */
export function createApprovalRequestAction(
  options: PgBackupActionOptions & { slots: ApprovalWaitSlots },
) {
  return createTemplateAction({
    id: 'pg-backup:approval:request',
    description:
      "Requests an approval for a restore or emergency recovery of a pg-backup database. Approvers (users with pg-backup.restore.approve, by default the database's owners) are notified and decide in the database's Backups tab or the fleet page's pending approvals; the requester can never approve their own request. Follow with pg-backup:approval:wait.",
    examples,
    supportsDryRun: true,
    schema: {
      input: z =>
        z.object({
          entityRef: entityRefField(z),
          kind: z
            .enum(['restore', 'emergency', 'verify', 'drill'])
            .optional()
            .describe('The operation to approve; default restore.'),
          backupKey: backupKeyField(z),
          target: restoreTargetField(z)
            .optional()
            .describe(
              'For restores: where to restore, as for pg-backup:restore:run.',
            ),
          confirmation: confirmationField(z),
          reason: requiredReasonField(z),
        }),
      output: z =>
        z.object({
          dryRun: dryRunOutput(z),
          approvalId: z
            .string()
            .optional()
            .describe(
              'Id of the approval request; pass it to pg-backup:approval:wait. Absent on dry runs.',
            ),
          expiresAt: z
            .string()
            .optional()
            .describe(
              'When the request expires without a decision (ISO-8601).',
            ),
        }),
    },
    async handler(ctx) {
      const entity = parseDatabaseRef(ctx.input.entityRef);
      const kind = ctx.input.kind ?? 'restore';
      const target =
        kind === 'restore' ? resolveRestoreTarget(ctx.input) : undefined;
      const body = {
        kind,
        backupKey: given(ctx.input.backupKey),
        target,
        reason: ctx.input.reason.trim(),
      };
      const what = `the ${kind} of ${stringifyEntityRef(entity)}${
        target ? ` into ${describeTarget(target)}` : ''
      } from ${body.backupKey ?? 'the newest verified backup'}`;
      if (ctx.isDryRun) {
        ctx.logger.info(
          `Dry run, nothing changed: would request an approval for ${what}, because: ${body.reason}`,
        );
        ctx.output('dryRun', true);
        return;
      }
      // Refuse before anyone is notified if the wait that follows could not start.
      options.slots.assertAvailable();
      const api = await clientForInitiator(ctx, options);
      const approval = await ctx.checkpoint({
        key: 'request-approval',
        fn: async () => {
          const created = await api.requestApproval(entity, body);
          return { id: created.id, expiresAt: created.expiresAt };
        },
      });
      ctx.logger.info(
        `Requested approval ${approval.id} for ${what}; approvers are notified. It expires at ${approval.expiresAt}.`,
      );
      ctx.output('approvalId', approval.id);
      ctx.output('expiresAt', approval.expiresAt);
    },
  });
}
