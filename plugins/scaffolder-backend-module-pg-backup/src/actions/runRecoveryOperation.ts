import {
  CompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  OperationPlan,
  VerificationReport,
  RecoveryOperation,
  RestoreTarget,
  StartOperationRequest,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import { followOperation } from '../followOperation';
import { PgBackupRequestError } from '../PgBackupClient';
import {
  PgBackupActionOptions,
  PgBackupStepContext,
  clientForInitiator,
  clientForModule,
  followTiming,
  idempotencyKeyOf,
} from './PgBackupActionOptions';

/** The outcome of {@link runRecoveryOperation}: a plan for dry runs, else the finished operation. */
export type RecoveryOperationOutcome =
  | { dryRun: true; plan: OperationPlan }
  | { dryRun: false; operation: RecoveryOperation };

/** "new database qawave_restored", "namespace staging (cluster dr) database qawave", ... */
export function describeTarget(target: RestoreTarget | undefined): string {
  if (!target) return 'a new database';
  switch (target.kind) {
    case 'live':
      return `the live database ${target.database}`;
    case 'other-namespace':
      return `database ${target.database} in namespace ${target.namespace}${
        target.cluster ? ` of cluster ${target.cluster}` : ''
      }`;
    default:
      return `the new database ${target.database}`;
  }
}

function logPlan(ctx: PgBackupStepContext, plan: OperationPlan): void {
  ctx.logger.info(
    `Dry run, nothing changed: the ${plan.kind} of ${
      plan.entityRef
    } would use backup ${plan.backupKey}${
      plan.target ? ` and restore into ${describeTarget(plan.target)}` : ''
    }.`,
  );
  plan.steps.forEach((step, index) =>
    ctx.logger.info(`  ${index + 1}. ${step.id}: ${step.title}`),
  );
  ctx.logger.info(`Approval: ${plan.approval}`);
  for (const problem of plan.problems) {
    ctx.logger.warn(`A real run would be refused: ${problem}`);
  }
}

/**
 * Starts one recovery operation and follows it to its end, or, on a dry run, asks the backend
 * for the plan. The start happens inside a checkpoint and carries the task's idempotency key,
 * so a retried or resumed task follows the operation it started instead of starting another.
 *
 * An operation with an approval (a live restore, an emergency recovery) is started with the
 * module's own credentials: an approval wait can outlast the initiator's token, and the backend
 * starts it only when the approval covers it, for the approval's requester. Other operations
 * start as the initiator, whose permission the backend checks. Every operation is followed
 * (polls and Job logs) with the module's credentials, so a long restore is not lost when the
 * initiator's token expires; cancelling with the task still acts as the initiator.
 */
export async function runRecoveryOperation(
  ctx: PgBackupStepContext,
  options: PgBackupActionOptions,
  entity: CompoundEntityRef,
  request: Omit<StartOperationRequest, 'dryRun' | 'idempotencyKey'>,
): Promise<RecoveryOperationOutcome> {
  const api = await clientForInitiator(ctx, options);
  const moduleApi = await clientForModule(options);
  if (ctx.isDryRun) {
    const plan = await api.startOperation(entity, { ...request, dryRun: true });
    logPlan(ctx, plan);
    return { dryRun: true, plan };
  }

  const idempotencyKey = idempotencyKeyOf(ctx, request.kind);
  const started = await ctx.checkpoint({
    key: `start-${request.kind}-operation`,
    fn: async () => {
      const body = { ...request, idempotencyKey };
      let operation: RecoveryOperation;
      if (request.approvalId) {
        try {
          operation = await moduleApi.startOperation(entity, body);
        } catch (error) {
          // An approval passed for an operation that needs none (a restore into a new
          // database): the backend lets the initiator start it, not the module.
          if (
            !(error instanceof PgBackupRequestError) ||
            error.statusCode !== 403 ||
            !/needs no approval/.test(error.backendMessage)
          )
            throw error;
          operation = await api.startOperation(entity, body);
        }
      } else {
        operation = await api.startOperation(entity, body);
      }
      ctx.logger.info(
        `Started the ${operation.kind} of ${stringifyEntityRef(
          entity,
        )} as operation ${operation.id} (backup ${operation.backupKey}${
          operation.target ? `, into ${describeTarget(operation.target)}` : ''
        })`,
      );
      return { operationId: operation.id };
    },
  });
  ctx.logger.info(
    `Following operation ${started.operationId}: each step's state and its Job's log appear below`,
  );
  const operation = await followOperation({
    api: moduleApi,
    cancelApi: api,
    entity,
    operationId: started.operationId,
    logger: ctx.logger,
    signal: ctx.signal,
    timing: followTiming(options),
  });
  ctx.logger.info(
    `The ${operation.kind} operation ${operation.id} succeeded${
      operation.finishedAt ? ` at ${operation.finishedAt}` : ''
    }`,
  );
  return { dryRun: false, operation };
}

/** A step context that can write the outputs `T` names, typed as the scaffolder types `ctx.output`. */
type OutputsOf<T> = { output(name: keyof T, value: T[keyof T]): void };

/** Writes a dry run's outputs: `dryRun`, the `plan` and the `backupKey` it would use. */
export function outputPlan(
  ctx: OutputsOf<{ dryRun: boolean; plan: OperationPlan; backupKey: string }>,
  plan: OperationPlan,
): void {
  ctx.output('dryRun', true);
  ctx.output('plan', plan);
  ctx.output('backupKey', plan.backupKey);
}

/** Writes a finished operation's `operationId` and the `backupKey` it used. */
export function outputOperation(
  ctx: OutputsOf<{ operationId: string; backupKey: string }>,
  operation: RecoveryOperation,
): void {
  ctx.output('operationId', operation.id);
  ctx.output('backupKey', operation.backupKey);
}

/** Logs and writes the operation's `verification` report, when it has one. */
export function outputVerification(
  ctx: PgBackupStepContext & OutputsOf<{ verification: VerificationReport }>,
  operation: RecoveryOperation,
): void {
  if (operation.verification) {
    logVerification(ctx, operation.verification);
    ctx.output('verification', operation.verification);
  }
}

/** Prints a verification report, one line per check. */
export function logVerification(
  ctx: PgBackupStepContext,
  report: VerificationReport,
): void {
  ctx.logger.info(
    `Verification of ${report.backupKey} in ${report.database}: ${
      report.passed ? 'passed' : 'FAILED'
    } (${report.checks.filter(c => c.passed).length} of ${
      report.checks.length
    } checks passed)`,
  );
  for (const check of report.checks) {
    const line = `  ${check.passed ? 'ok  ' : 'FAIL'} ${check.name}: expected ${
      check.expected
    }, got ${check.actual}`;
    if (check.passed) ctx.logger.info(line);
    else ctx.logger.warn(line);
  }
}
