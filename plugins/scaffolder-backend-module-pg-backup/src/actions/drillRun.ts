import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { formatDuration } from '@pg-backup/backstage-plugin-pg-backup-common';
import { buildDrillChecklist } from '../drillChecklist';
import { parseDatabaseRef } from '../PgBackupClient';
import { PgBackupActionOptions, given } from './PgBackupActionOptions';
import { examples } from './drillRun.examples';
import {
  backupKeyField,
  entityRefField,
  operationOutputFields,
  reasonField,
  verificationOutput,
} from './recoverySchemas';
import {
  outputOperation,
  outputPlan,
  outputVerification,
  runRecoveryOperation,
} from './runRecoveryOperation';

/** `pg-backup:drill:run`: the quarterly recovery drill, measured against the RTO and recorded. */
export function createDrillRunAction(options: PgBackupActionOptions) {
  return createTemplateAction({
    id: 'pg-backup:drill:run',
    description:
      "Runs the quarterly recovery drill of a pg-backup database: restores the chosen (default newest) backup into a scratch database, verifies it, measures the recovery time from start to verified against the database's RTO objective, cleans up and records the drill with its checklist and lessons learned.",
    examples,
    supportsDryRun: true,
    schema: {
      input: z =>
        z.object({
          entityRef: entityRefField(z),
          backupKey: backupKeyField(z),
          checklist: z
            .object({
              pre: z
                .array(z.string())
                .optional()
                .describe(
                  'Pre-recovery items done, e.g. "Stakeholders notified".',
                ),
              during: z
                .array(z.string())
                .optional()
                .describe(
                  'Recovery step items done, e.g. "Smoke test application".',
                ),
              post: z
                .array(z.string())
                .optional()
                .describe(
                  'Post-recovery items done, e.g. "Data integrity confirmed".',
                ),
            })
            .optional()
            .describe(
              "The checklist items done, by phase. Every item of the QAWave runbook's drill checklist not listed is recorded as not done; items the runbook does not list are recorded as extra checks done.",
            ),
          notes: z
            .string()
            .optional()
            .describe('Lessons learned, recorded with the drill.'),
          reason: reasonField(z),
        }),
      output: z =>
        z.object({
          ...operationOutputFields(
            z,
            'The backup restored (or that would be).',
          ),
          measuredRtoMs: z
            .number()
            .optional()
            .describe(
              'Measured recovery time, start to verified, in milliseconds.',
            ),
          rtoObjectiveMs: z
            .number()
            .optional()
            .describe("The database's RTO objective, in milliseconds."),
          withinObjective: z
            .boolean()
            .optional()
            .describe('Whether the measured recovery time met the objective.'),
          passed: z
            .boolean()
            .optional()
            .describe(
              'Whether the drill passed: the data verified and the RTO was met.',
            ),
          summary: z
            .string()
            .optional()
            .describe(
              'The result in a sentence, e.g. "Recovered in 3m 12s (objective 4h): passed".',
            ),
          checklist: z
            .array(
              z.object({
                phase: z.enum(['pre', 'during', 'post']).describe('The phase.'),
                item: z.string().describe('What was checked.'),
                done: z.boolean().describe('Whether it was done.'),
              }),
            )
            .describe('The checklist as recorded.'),
          verification: verificationOutput(z),
        }),
    },
    async handler(ctx) {
      const entity = parseDatabaseRef(ctx.input.entityRef);
      const checklist = buildDrillChecklist(ctx.input.checklist);
      const outcome = await runRecoveryOperation(ctx, options, entity, {
        kind: 'drill',
        backupKey: given(ctx.input.backupKey),
        checklist,
        notes: given(ctx.input.notes),
        reason: given(ctx.input.reason),
      });
      ctx.output('checklist', checklist);
      if (outcome.dryRun) {
        outputPlan(ctx, outcome.plan);
        return;
      }
      const { operation } = outcome;
      outputOperation(ctx, operation);
      outputVerification(ctx, operation);
      const { measuredRtoMs, rtoObjectiveMs } = operation;
      const withinObjective =
        measuredRtoMs !== undefined && rtoObjectiveMs !== undefined
          ? measuredRtoMs <= rtoObjectiveMs
          : undefined;
      const passed =
        operation.verification?.passed === true && withinObjective !== false;
      const summary = `${
        measuredRtoMs !== undefined
          ? `Recovered in ${formatDuration(measuredRtoMs)}`
          : 'Recovery time not measured'
      }${
        rtoObjectiveMs !== undefined
          ? ` (objective ${formatDuration(rtoObjectiveMs)}${
              withinObjective === false ? ', exceeded' : ''
            })`
          : ''
      }; data ${
        operation.verification?.passed ? 'verified' : 'NOT verified'
      }: drill ${passed ? 'passed' : 'failed'}`;
      if (passed) ctx.logger.info(summary);
      else ctx.logger.warn(summary);
      if (measuredRtoMs !== undefined)
        ctx.output('measuredRtoMs', measuredRtoMs);
      if (rtoObjectiveMs !== undefined) {
        ctx.output('rtoObjectiveMs', rtoObjectiveMs);
      }
      if (withinObjective !== undefined) {
        ctx.output('withinObjective', withinObjective);
      }
      ctx.output('passed', passed);
      ctx.output('summary', summary);
    },
  });
}
