import { LoggerService } from '@backstage/backend-plugin-api';
import {
  OperationStep,
  formatDuration,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import { OperationStore, StoredOperation } from '../database/OperationStore';
import { RecoveryRecordStore } from '../database/RecoveryRecordStore';
import { KubernetesGateway } from '../kubernetes/KubernetesGateway';
import { KubernetesGateways } from '../kubernetes/KubernetesGateways';
import { RecoverySettings } from '../PgBackupConfig';
import { reasonOf } from '../upstream';
import { DeploymentScaler, checkPostgresRunning } from './DeploymentScaler';
import {
  JobRunner,
  JobWatch,
  OperationCancelled,
  RunnerAbandoned,
} from './JobRunner';
import { OperationJobSteps, took } from './OperationJobSteps';

/** What a runner works with. */
export interface RunnerDeps {
  operations: OperationStore;
  records: RecoveryRecordStore;
  kubernetes: KubernetesGateways;
  jobs: JobRunner;
  logger: LoggerService;
  settings: RecoverySettings;
  /** Called when a database's verification or drill records changed (health caches). */
  onRecordsChanged: (entityRef: string) => void;
  now: () => Date;
}

/** Steps that run however the operation ends: they undo or record what the others did. */
const FINALLY_STEPS = ['cleanup', 'scale-back', 'record'];

const replicasText = (recorded: Record<string, number>) =>
  Object.entries(recorded)
    .map(([name, n]) => `${name} ${n}`)
    .join(', ');

/**
 * Runs one operation's steps in order, saving each change, and then always its finishing steps:
 * dropping a scratch database, scaling Deployments back to the recorded counts and recording a
 * drill, on success, failure and cancellation alike. Cancellation is read from the store, so a
 * cancel request reaching any backend replica stops the running Job (SIGTERM: the agent leaves
 * the target as it was). Every write is conditional on still owning the operation: a runner
 * that lost it (shutdown, lease taken over) stops without touching it.
 */
export class OperationRunner {
  private readonly cancelSignal = new AbortController();
  private abandoned = false;
  /** The steps that run the operation's Jobs. */
  private readonly jobSteps: OperationJobSteps;

  constructor(
    private readonly op: StoredOperation,
    private readonly runnerId: string,
    private readonly deps: RunnerDeps,
  ) {
    this.jobSteps = new OperationJobSteps({
      op,
      deps,
      jobsOfEarlierRun: new Set(op.steps.flatMap(s => (s.job ? [s.job] : []))),
      save: () => this.save(),
      watch: cancellable => this.watch(cancellable),
      step: id => this.step(id),
    });
  }

  /** The operation's id. */
  get id(): string {
    return this.op.id;
  }

  /** Cancels at once on this backend (other backends see the stored request). */
  cancel(): void {
    this.cancelSignal.abort();
  }

  /** Gives the operation up without touching it again. */
  abandon(): void {
    this.abandoned = true;
  }

  /**
   * Runs the operation to its end. Never throws. Also continues an operation whose backend
   * stopped (crash, kill, shutdown) where it was: steps that succeeded are not run again, the
   * step that was running adopts its Job (Job names are fixed per operation) instead of
   * starting a second one, and the finishing steps that did not run yet run as usual.
   */
  async run(): Promise<void> {
    const lease = setInterval(
      () => void this.renewLease(),
      Math.max(100, this.deps.settings.leaseTimeoutMs / 3),
    );
    try {
      this.op.state = 'running';
      await this.save();
      let failure: unknown = this.endedBeforeRestart();
      try {
        for (const step of this.op.steps) {
          if (failure !== undefined) break;
          // Steps that succeeded before a backend restart are not run again.
          if (FINALLY_STEPS.includes(step.id) || step.state === 'succeeded')
            continue;
          if (await this.isCancelled())
            throw new OperationCancelled('cancelled on request');
          await this.track(step.id, s => this.runStep(s));
        }
      } catch (error) {
        if (this.abandoned || error instanceof RunnerAbandoned) return;
        failure = error;
      }
      await this.conclude(failure);
    } catch (error) {
      if (this.abandoned || error instanceof RunnerAbandoned) return;
      this.deps.logger.error(
        `pg-backup: operation ${
          this.op.id
        } could not be run to its end: ${reasonOf(error)}`,
      );
    } finally {
      clearInterval(lease);
    }
  }

  private async conclude(failure: unknown): Promise<void> {
    const cancelled = failure instanceof OperationCancelled;
    const notRun = cancelled
      ? 'the operation was cancelled'
      : 'an earlier step failed';
    for (const step of this.op.steps) {
      if (FINALLY_STEPS.includes(step.id) || step.state !== 'pending') continue;
      step.state = 'cancelled';
      step.detail = `not run: ${notRun}`;
    }
    const problems: string[] = [];
    for (const id of FINALLY_STEPS) {
      const state = this.step(id)?.state;
      // Done before a backend restart (a drill is recorded once), or absent.
      if (state === undefined || state === 'succeeded' || state === 'cancelled')
        continue;
      try {
        await this.track(id, s =>
          this.runFinallyStep(s, cancelled ? notRun : undefined),
        );
      } catch (error) {
        if (this.abandoned || error instanceof RunnerAbandoned) throw error;
        problems.push(`${id}: ${reasonOf(error)}`);
      }
    }
    const reasons = [
      ...(failure === undefined ? [] : [reasonOf(failure)]),
      ...problems,
    ];
    if (cancelled) this.op.state = 'cancelled';
    else this.op.state = reasons.length ? 'failed' : 'succeeded';
    if (reasons.length) this.op.error = reasons.join('; ');
    this.op.finishedAt = this.deps.now().toISOString();
    if (this.abandoned) throw new RunnerAbandoned();
    await this.deps.operations.finish(this.op, this.runnerId);
    this.deps.logger.info(
      `pg-backup: ${this.op.kind} ${this.op.id} of ${this.op.entityRef} ${
        this.op.state
      }${this.op.error ? `: ${this.op.error}` : ''}`,
    );
  }

  /** The failure or cancellation an earlier backend saw before it stopped in the finishing steps. */
  private endedBeforeRestart(): Error | undefined {
    const ended = this.op.steps.find(
      s =>
        !FINALLY_STEPS.includes(s.id) &&
        (s.state === 'failed' || s.state === 'cancelled'),
    );
    if (!ended) return undefined;
    const detail = ended.detail ?? `step ${ended.id} ${ended.state}`;
    return ended.state === 'cancelled' && this.op.cancelRequested
      ? new OperationCancelled(detail)
      : new Error(detail);
  }

  private step(id: string): OperationStep | undefined {
    return this.op.steps.find(s => s.id === id);
  }

  /** Runs a step, keeping its state, times and detail saved. */
  private async track(
    id: string,
    work: (step: OperationStep) => Promise<string | undefined>,
  ): Promise<void> {
    const step = this.step(id)!;
    step.state = 'running';
    // A step resumed after a backend restart keeps the time it really started.
    step.startedAt ??= this.deps.now().toISOString();
    await this.save();
    try {
      const detail = await work(step);
      if (detail) step.detail = detail;
      if (step.state === 'running') step.state = 'succeeded';
    } catch (error) {
      if (this.abandoned || error instanceof RunnerAbandoned) throw error;
      step.state = error instanceof OperationCancelled ? 'cancelled' : 'failed';
      step.detail = reasonOf(error);
      throw error;
    } finally {
      if (!this.abandoned) {
        step.finishedAt = this.deps.now().toISOString();
        await this.save();
      }
    }
  }

  private runStep(step: OperationStep): Promise<string | undefined> {
    switch (step.id) {
      case 'scale-down':
        return this.scaleDown(step);
      case 'check-postgres':
        return checkPostgresRunning(
          this.entityCluster(),
          this.op.context.namespace,
          this.deps.settings.postgresPodSelector,
        );
      case 'safety-backup':
        return this.jobSteps.safetyBackup(step);
      case 'restore':
        return this.jobSteps.restore(step);
      case 'verify':
        return this.jobSteps.verify(step);
      default:
        throw new Error(`unknown step ${step.id}`);
    }
  }

  /** `stopped` says why the operation stopped early (cancelled, interrupted): no drill is recorded then. */
  private async runFinallyStep(
    step: OperationStep,
    stopped: string | undefined,
  ): Promise<string | undefined> {
    switch (step.id) {
      case 'cleanup':
        return this.jobSteps.cleanup(step);
      case 'scale-back':
        return this.scaleBack();
      case 'record':
        if (stopped) {
          step.state = 'cancelled';
          return `not recorded: ${stopped}`;
        }
        return this.recordDrill();
      default:
        throw new Error(`unknown step ${step.id}`);
    }
  }

  private entityCluster(): KubernetesGateway {
    return this.deps.kubernetes.for(this.op.context.cluster);
  }

  private scaler(): DeploymentScaler {
    return new DeploymentScaler(
      this.entityCluster(),
      this.op.context.namespace,
      {
        pollIntervalMs: this.deps.settings.pollIntervalMs,
        timeoutMs: this.deps.settings.scaleDownTimeoutMs,
      },
    );
  }

  private async scaleDown(step: OperationStep): Promise<string> {
    const names = this.op.context.deployments;
    if (names.length === 0) return 'nothing to scale';
    const scaler = this.scaler();
    // Resumed after a backend restart: the counts recorded before anything was scaled, not
    // the zeros the Deployments may show now.
    const recorded = this.op.recordedReplicas ?? (await scaler.record(names));
    // Persisted before anything is scaled: whatever happens next, the counts to restore are known.
    this.op.recordedReplicas = recorded;
    step.title = `Record the replicas of ${names.join(', ')} (${replicasText(
      recorded,
    )}) and scale them to 0`;
    await this.save();
    await scaler.scaleDown(names, () => this.isCancelled());
    return `recorded ${replicasText(recorded)}; all scaled to 0`;
  }

  private async scaleBack(): Promise<string> {
    const recorded = this.op.recordedReplicas;
    if (!recorded || Object.keys(recorded).length === 0)
      return 'nothing was scaled down';
    const problems = await this.scaler().scaleBack(recorded);
    if (problems.length)
      throw new Error(`could not scale back ${problems.join('; ')}`);
    return `scaled back to ${replicasText(recorded)}`;
  }

  private watch(cancellable = true): JobWatch {
    return {
      cancelled: () =>
        cancellable ? this.isCancelled() : Promise.resolve(false),
      abandoned: () => this.abandoned,
    };
  }

  private async recordDrill(): Promise<string> {
    const report = this.op.verification;
    const passed =
      report?.passed === true && this.op.measuredRtoMs !== undefined;
    const objective = this.op.rtoObjectiveMs;
    await this.deps.records.addDrill(this.op.entityRef, {
      performedAt: this.deps.now().toISOString(),
      passed,
      ...(passed && { measuredRtoMs: this.op.measuredRtoMs }),
      recordedBy: this.op.requestedBy,
      backupKey: this.op.backupKey,
      operationId: this.op.id,
      ...(objective !== undefined && { rtoObjectiveMs: objective }),
      ...(report && { checks: report.checks }),
      ...(this.op.drill?.checklist && { checklist: this.op.drill.checklist }),
      ...(this.op.drill?.notes && { notes: this.op.drill.notes }),
    });
    this.deps.onRecordsChanged(this.op.entityRef);
    if (!passed) return 'recorded as failed: the restored data did not verify';
    const rto = this.op.measuredRtoMs!;
    const recorded = `recorded: measured RTO ${took(rto)}`;
    if (objective === undefined) return recorded;
    return `${recorded}, ${
      rto <= objective ? 'within' : 'over'
    } the objective of ${formatDuration(objective)}`;
  }

  private async isCancelled(): Promise<boolean> {
    if (this.cancelSignal.signal.aborted) return true;
    if (await this.deps.operations.isCancelRequested(this.op.id)) {
      this.cancelSignal.abort();
      return true;
    }
    return false;
  }

  private async save(): Promise<void> {
    if (this.abandoned) throw new RunnerAbandoned();
    if (!(await this.deps.operations.saveProgress(this.op, this.runnerId))) {
      this.abandoned = true;
      throw new RunnerAbandoned();
    }
  }

  private async renewLease(): Promise<void> {
    if (this.abandoned) return;
    try {
      const until = new Date(
        this.deps.now().getTime() + this.deps.settings.leaseTimeoutMs,
      ).toISOString();
      if (
        !(await this.deps.operations.renewLease(
          this.op.id,
          this.runnerId,
          until,
        ))
      )
        this.abandoned = true;
    } catch (error) {
      this.deps.logger.warn(
        `pg-backup: could not renew the lease of operation ${
          this.op.id
        }: ${reasonOf(error)}`,
      );
    }
  }
}
