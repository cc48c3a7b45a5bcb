import { InputError, NotAllowedError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { ApprovalRequest } from '@pg-backup/backstage-plugin-pg-backup-common';
import { ApprovalWaitSlots } from '../ApprovalWaitSlots';
import { pause } from '../FollowTiming';
import { PatientReader } from '../PatientReader';
import { PgBackupClient } from '../PgBackupClient';
import {
  PgBackupActionOptions,
  clientForInitiator,
  clientForModule,
  followTiming,
  given,
} from './PgBackupActionOptions';
import { examples } from './approvalWait.examples';
import { dryRunOutput } from './recoverySchemas';

/** How often a long wait says it is still waiting. */
const STILL_WAITING_EVERY_MS = 10 * 60_000;

function decidedBy(approval: ApprovalRequest): string {
  return `${approval.decidedBy ?? 'an approver'}${
    approval.decidedAt ? ` at ${approval.decidedAt}` : ''
  }`;
}

/** `pg-backup:approval:wait`: waits until an approval request is decided. */
export function createApprovalWaitAction(
  options: PgBackupActionOptions & { slots: ApprovalWaitSlots },
) {
  return createTemplateAction({
    id: 'pg-backup:approval:wait',
    description:
      'Waits until a pg-backup approval request is decided: succeeds with the approval id when approved, fails with the approver’s comment when rejected, and fails when it expires. The first read is the initiator’s (they must be allowed to read the approval); later reads use the module’s own credentials, so a wait may outlast the initiator’s token. A waiting task holds a scaffolder worker slot, so each backend instance lets at most pgBackup.scaffolder.maxWaitingApprovals tasks (default 5) wait at once and refuses more.',
    examples,
    supportsDryRun: true,
    schema: {
      input: z =>
        z.object({
          approvalId: z
            .string()
            .optional()
            .describe(
              'Id of the approval request, from pg-backup:approval:request (required; may be empty only on dry runs, where the request step creates none).',
            ),
        }),
      output: z =>
        z.object({
          dryRun: dryRunOutput(z),
          approvalId: z
            .string()
            .optional()
            .describe(
              'The approved request’s id; pass it to the restore or emergency recovery. Absent on dry runs.',
            ),
          decidedBy: z
            .string()
            .optional()
            .describe('The approver (user entity ref).'),
          comment: z.string().optional().describe('The approver’s comment.'),
        }),
    },
    async handler(ctx) {
      const approvalId = given(ctx.input.approvalId);
      if (ctx.isDryRun) {
        ctx.logger.info(
          `Dry run, nothing changed: would wait until approval ${
            approvalId ?? '(requested by the previous step)'
          } is decided`,
        );
        ctx.output('dryRun', true);
        return;
      }
      if (!approvalId) {
        throw new InputError(
          'approvalId is missing: pass the approvalId output of pg-backup:approval:request',
        );
      }
      const timing = followTiming(options);
      const release = options.slots.acquire(
        `${ctx.task.id}:${ctx.step?.id ?? 'approval-wait'}`,
      );
      try {
        const reader = new PatientReader(
          `approval ${approvalId}`,
          ctx.logger,
          timing.maxConsecutiveFailures,
        );
        /** The approval as `api` reads it, retrying transient failures until the task is cancelled. */
        const read = async (api: PgBackupClient): Promise<ApprovalRequest> => {
          for (;;) {
            if (ctx.signal?.aborted) {
              throw new Error(
                `The task was cancelled while waiting for approval ${approvalId}; the request stays pending until it is decided or expires`,
              );
            }
            const approval = await reader.read(() =>
              api.getApproval(approvalId),
            );
            if (approval) return approval;
            await pause(timing.approvalPollIntervalMs, ctx.signal);
          }
        };
        // The initiator reads the approval once, while their token is fresh: the backend checks
        // that they may see it. A retried or resumed task does not read as them again.
        await ctx.checkpoint({
          key: `initiator-reads-approval-${approvalId}`,
          fn: async () => {
            await read(await clientForInitiator(ctx, options));
            return { approvalId };
          },
        });
        // Then the module polls with its own credentials: a token issued on the initiator's
        // behalf expires with theirs (auth.backstageTokenExpiration, 1 h), an approval lasts up
        // to 4 h. The operation that follows is started with the initiator's credentials again.
        const api = await clientForModule(options);
        let announcedAt: number | undefined;
        for (;;) {
          const approval = await read(api);

          if (approval.state === 'approved') {
            if (approval.usedByOperation) {
              throw new NotAllowedError(
                `Approval ${approvalId} was already used by operation ${approval.usedByOperation}; each approval is used once, request a new one`,
              );
            }
            ctx.logger.info(
              `Approval ${approvalId} was approved by ${decidedBy(approval)}${
                approval.comment ? `: "${approval.comment}"` : ''
              }`,
            );
            ctx.output('approvalId', approval.id);
            if (approval.decidedBy) ctx.output('decidedBy', approval.decidedBy);
            if (approval.comment) ctx.output('comment', approval.comment);
            return;
          }
          if (approval.state === 'rejected') {
            throw new NotAllowedError(
              `Approval ${approvalId} was rejected by ${decidedBy(approval)}${
                approval.comment
                  ? `: "${approval.comment}"`
                  : ' without a comment'
              }`,
            );
          }
          if (
            approval.state === 'expired' ||
            Date.parse(approval.expiresAt) <= Date.now()
          ) {
            throw new NotAllowedError(
              `Approval ${approvalId} expired at ${approval.expiresAt} without a decision; request a new one`,
            );
          }

          const now = Date.now();
          if (announcedAt === undefined) {
            ctx.logger.info(
              `Waiting for a decision on approval ${approvalId} (the ${approval.kind} of ${approval.entityRef}, requested by ${approval.requestedBy}); approvers decide in the database's Backups tab or the fleet page's pending approvals. It expires at ${approval.expiresAt}.`,
            );
            announcedAt = now;
          } else if (now - announcedAt >= STILL_WAITING_EVERY_MS) {
            ctx.logger.info(
              `Still waiting for approval ${approvalId} (expires at ${approval.expiresAt})`,
            );
            announcedAt = now;
          }
          await pause(timing.approvalPollIntervalMs, ctx.signal);
        }
      } finally {
        release();
      }
    },
  });
}
