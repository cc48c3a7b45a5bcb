import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { parseDatabaseRef } from '../PgBackupClient';
import { PgBackupActionOptions, given } from './PgBackupActionOptions';
import { examples } from './verifyRun.examples';
import {
  backupKeyField,
  entityRefField,
  operationOutputFields,
  reasonField,
  verificationOutput,
} from './recoverySchemas';
import {
  logVerification,
  outputOperation,
  outputPlan,
  runRecoveryOperation,
} from './runRecoveryOperation';

/** `pg-backup:verify:run`: restores a backup into a scratch database and checks it against its manifest. */
export function createVerifyRunAction(options: PgBackupActionOptions) {
  return createTemplateAction({
    id: 'pg-backup:verify:run',
    description:
      "Verifies a backup of a pg-backup database: the verify Job restores it into a scratch database, compares table count, row counts and Flyway version with the backup's manifest, drops the scratch copy and reports. Fails when a check fails.",
    examples,
    supportsDryRun: true,
    schema: {
      input: z =>
        z.object({
          entityRef: entityRefField(z),
          backupKey: backupKeyField(z),
          reason: reasonField(z),
        }),
      output: z =>
        z.object({
          ...operationOutputFields(
            z,
            'The backup verified (or that would be).',
          ),
          passed: z
            .boolean()
            .optional()
            .describe('Whether every check passed; absent on dry runs.'),
          report: verificationOutput(z),
        }),
    },
    async handler(ctx) {
      const entity = parseDatabaseRef(ctx.input.entityRef);
      const outcome = await runRecoveryOperation(ctx, options, entity, {
        kind: 'verify',
        backupKey: given(ctx.input.backupKey),
        reason: given(ctx.input.reason),
      });
      if (outcome.dryRun) {
        outputPlan(ctx, outcome.plan);
        return;
      }
      const { operation } = outcome;
      const report = operation.verification;
      if (!report) {
        throw new Error(
          `The verify operation ${operation.id} succeeded without a verification report; the backend must return one`,
        );
      }
      logVerification(ctx, report);
      outputOperation(ctx, operation);
      ctx.output('passed', report.passed);
      ctx.output('report', report);
      if (!report.passed) {
        throw new Error(
          `Backup ${report.backupKey} failed verification: ${report.checks
            .filter(c => !c.passed)
            .map(c => `${c.name} expected ${c.expected}, got ${c.actual}`)
            .join('; ')}`,
        );
      }
    },
  });
}
