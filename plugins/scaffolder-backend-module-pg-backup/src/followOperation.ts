import { LoggerService } from '@backstage/backend-plugin-api';
import { CompoundEntityRef } from '@backstage/catalog-model';
import { CustomErrorBase } from '@backstage/errors';
import {
  OperationState,
  OperationStep,
  RecoveryOperation,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import { FollowTiming, pause } from './FollowTiming';
import { JobLogStreamer } from './JobLogStreamer';
import { PatientReader } from './PatientReader';
import { PgBackupClient } from './PgBackupClient';

const TERMINAL: OperationState[] = ['succeeded', 'failed', 'cancelled'];

/** An operation that ended failed or cancelled; the message says where and why. */
export class RecoveryOperationError extends CustomErrorBase {
  /** The operation as the backend last reported it. */
  readonly operation: RecoveryOperation;

  constructor(message: string, operation: RecoveryOperation) {
    super(message);
    this.name = 'RecoveryOperationError';
    this.operation = operation;
  }
}

/** "restore (Restore qawave_20261124_020000.dump into qawave_restored)". */
function describeStep(step: OperationStep): string {
  return `${step.id} (${step.title})`;
}

/** Why an operation ended badly, naming the failed step and what became of the scale-back. */
export function describeFailure(
  operation: RecoveryOperation,
  cancelledByTask: boolean,
): string {
  const failed = operation.steps.find(s => s.state === 'failed');
  const head = cancelledByTask
    ? `The ${operation.kind} operation ${operation.id} was cancelled with the task`
    : `The ${operation.kind} operation ${operation.id} ${
        operation.state === 'cancelled' ? 'was cancelled' : 'failed'
      }`;
  const where = failed ? ` at step ${describeStep(failed)}` : '';
  const why = operation.error ?? failed?.detail;
  const scaleBack = operation.steps.find(s => s.id === 'scale-back');
  const replicas = operation.recordedReplicas
    ? ` to ${Object.entries(operation.recordedReplicas)
        .map(([name, count]) => `${name}=${count}`)
        .join(', ')}`
    : '';
  const scaleBackState = scaleBack
    ? `; scale-back${replicas}: ${scaleBack.state}${
        scaleBack.detail ? ` (${scaleBack.detail})` : ''
      }`
    : '';
  return `${head}${where}${why ? `: ${why}` : ''}${scaleBackState}`;
}

/** What {@link followOperation} needs. */
export interface FollowOperationOptions {
  /** Reads the operation and its Jobs' logs (the module's own credentials: a restore outlasts a user's token). */
  api: PgBackupClient;
  /** Cancels the operation when the task is cancelled (the initiator's; default `api`). */
  cancelApi?: PgBackupClient;
  /** The database, for the Job logs. */
  entity: CompoundEntityRef;
  operationId: string;
  logger: LoggerService;
  /** The task's cancel signal: on abort the operation is cancelled on the backend. */
  signal?: AbortSignal;
  timing: FollowTiming;
}

/**
 * Follows an operation to its end, printing each step's state changes and the log lines of the
 * step's Job as they appear. Resolves with the succeeded operation; rejects with a
 * {@link RecoveryOperationError} when it fails or is cancelled. When `signal` aborts, asks the
 * backend to cancel and keeps following (up to `cancelGraceMs`) so the scale-back shows.
 */
export async function followOperation(
  options: FollowOperationOptions,
): Promise<RecoveryOperation> {
  const { api, operationId, logger, signal, timing } = options;
  const logs = new JobLogStreamer(
    api,
    options.entity,
    logger,
    timing.logTailLines,
  );
  const reportedStates = new Map<string, OperationState>();
  const finishedLogs = new Set<string>();
  const reader = new PatientReader(
    `operation ${operationId} (it may still be running on the backend; see the database's Backups tab)`,
    logger,
    timing.maxConsecutiveFailures,
  );
  let cancelRequestedAt: number | undefined;

  const report = async (operation: RecoveryOperation) => {
    for (const step of operation.steps) {
      const previous = reportedStates.get(step.id);
      // Steps not started yet are listed by the plan, not announced one by one.
      if (
        previous !== step.state &&
        !(previous === undefined && step.state === 'pending')
      ) {
        reportedStates.set(step.id, step.state);
        const line = `Step ${describeStep(step)}: ${step.state}${
          step.detail ? ` — ${step.detail}` : ''
        }`;
        if (step.state === 'failed') logger.error(line);
        else logger.info(line);
      }
      if (!step.job || step.state === 'pending') continue;
      if (!TERMINAL.includes(step.state)) {
        await logs.poll(step.job);
      } else if (!finishedLogs.has(step.job)) {
        // Read once more after the step ended: its last lines.
        finishedLogs.add(step.job);
        await logs.poll(step.job);
      }
    }
  };

  for (;;) {
    if (signal?.aborted && cancelRequestedAt === undefined) {
      cancelRequestedAt = Date.now();
      logger.warn(
        `The task was cancelled: cancelling operation ${operationId}; the backend still scales the Deployments back and cleans up`,
      );
      try {
        await (options.cancelApi ?? api).cancelOperation(operationId);
      } catch (error) {
        logger.error(
          `Cancelling operation ${operationId} failed: ${
            (error as Error).message
          }`,
        );
      }
    }

    const operation = await reader.read(() => api.getOperation(operationId));
    if (!operation) {
      await pause(timing.pollIntervalMs);
      continue;
    }

    await report(operation);

    if (TERMINAL.includes(operation.state)) {
      if (operation.state === 'succeeded' && cancelRequestedAt === undefined) {
        return operation;
      }
      throw new RecoveryOperationError(
        describeFailure(operation, cancelRequestedAt !== undefined),
        operation,
      );
    }
    if (
      cancelRequestedAt !== undefined &&
      Date.now() - cancelRequestedAt > timing.cancelGraceMs
    ) {
      throw new RecoveryOperationError(
        `The ${
          operation.kind
        } operation ${operationId} was cancelled with the task and is still ${
          operation.state
        } after ${Math.round(
          timing.cancelGraceMs / 1000,
        )} s; the backend finishes its clean-up on its own (see the database's Backups tab)`,
        operation,
      );
    }
    // Once cancelling, wait the full interval: the signal stays aborted.
    await pause(
      timing.pollIntervalMs,
      cancelRequestedAt === undefined ? signal : undefined,
    );
  }
}
