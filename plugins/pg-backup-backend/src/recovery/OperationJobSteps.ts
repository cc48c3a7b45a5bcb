import {
  OperationStep,
  formatDuration,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import { V1CronJob, V1Job } from '@kubernetes/client-node';
import { StoredOperation } from '../database/OperationStore';
import { KubernetesGateway } from '../kubernetes/KubernetesGateway';
import {
  OperationJobComponent,
  buildOperationJob,
  buildSafetyBackupJob,
} from './buildOperationJobs';
import { FollowOptions, JobWatch, describeJobFailure } from './JobRunner';
import type { RunnerDeps } from './OperationRunner';
import {
  describeFailedChecks,
  readVerificationReport,
} from './readVerificationReport';

/** A Job's duration for people: `0.4 s` under a minute, else `2m 5s`. */
export const took = (ms: number) =>
  ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : formatDuration(ms);

/** What the Job steps share with the runner of their operation. */
export interface OperationJobContext {
  /** The operation, updated in place by the runner and by these steps. */
  op: StoredOperation;
  deps: RunnerDeps;
  /** Jobs an earlier backend named before it stopped (empty for a new operation). */
  jobsOfEarlierRun: ReadonlySet<string>;
  /** Saves the operation (throws when the runner no longer owns it). */
  save: () => Promise<void>;
  /** How a Job wait learns of a cancellation or of the runner giving up. */
  watch: (cancellable: boolean) => JobWatch;
  step: (id: string) => OperationStep | undefined;
}

/**
 * The steps of an operation that run the backup agent's Jobs, built from the database's backup
 * CronJob: the safety backup, the restore, the verification and dropping the scratch database.
 * Each names its Job in the step before starting it, so a backend that resumes the operation
 * follows that Job instead of starting a second one.
 */
export class OperationJobSteps {
  private cronJob?: V1CronJob;

  constructor(private readonly ctx: OperationJobContext) {}

  private entityCluster(): KubernetesGateway {
    return this.ctx.deps.kubernetes.for(this.ctx.op.context.cluster);
  }

  /** The cluster the restore, verify and cleanup Jobs run in. */
  private jobCluster(): KubernetesGateway {
    return this.ctx.deps.kubernetes.for(this.ctx.op.context.jobCluster);
  }

  private async readCronJob(): Promise<V1CronJob> {
    if (this.cronJob) return this.cronJob;
    const { namespace, cronJob } = this.ctx.op.context;
    // read through short outages: a resumed operation reads it first, maybe while its Job runs
    const found = await this.ctx.deps.jobs.throughOutages(
      () => this.entityCluster().getCronJob(namespace, cronJob),
      this.ctx.watch(false),
    );
    if (!found)
      throw new Error(
        `CronJob ${cronJob} does not exist in namespace ${namespace}; the operation's Jobs are built from it`,
      );
    this.cronJob = found;
    return found;
  }

  async safetyBackup(step: OperationStep): Promise<string> {
    const job = buildSafetyBackupJob(await this.readCronJob(), {
      operationId: this.ctx.op.id,
      namespace: this.ctx.op.context.namespace,
      requestedBy: this.ctx.op.requestedBy,
    });
    step.job = job.metadata!.name!;
    await this.ctx.save();
    const outcome = await this.runJob(
      this.entityCluster(),
      job,
      this.ctx.watch(true),
    );
    if (!outcome.succeeded)
      throw new Error(
        `safety backup: ${describeJobFailure(outcome)}; nothing was restored`,
      );
    let key: string | undefined;
    try {
      key = JSON.parse(outcome.message ?? '').key;
    } catch {
      key = undefined;
    }
    return key ? `safety backup ${key}` : 'safety backup taken';
  }

  /** Runs one of the operation's agent Jobs in the job namespace. */
  private async agentJob(
    step: OperationStep,
    component: OperationJobComponent,
    job: { args: string[]; command?: string[]; env: Record<string, string> },
    cancellable = true,
  ) {
    const built = buildOperationJob(await this.readCronJob(), {
      operationId: this.ctx.op.id,
      component,
      namespace: this.ctx.op.context.jobNamespace,
      requestedBy: this.ctx.op.requestedBy,
      ttlSecondsAfterFinished: this.ctx.deps.settings.jobTtlSeconds,
      ...job,
    });
    step.job = built.metadata!.name!;
    await this.ctx.save();
    // Dropping the scratch database again (or a while after the operation ended) is harmless;
    // restoring or verifying twice is not.
    const harmless = component === 'cleanup';
    return this.runJob(
      this.jobCluster(),
      built,
      this.ctx.watch(cancellable),
      !harmless,
      { harmless },
    );
  }

  /**
   * Runs a Job, or follows the one an earlier backend started under the same name. A Job the
   * earlier backend may have started that no longer exists (deleted, or never created before
   * the crash) is not started again when `once`: it could have restored already.
   */
  private async runJob(
    k8s: KubernetesGateway,
    job: V1Job,
    watch: JobWatch,
    once = true,
    follow: FollowOptions = {},
  ) {
    const { name, namespace } = job.metadata as {
      name: string;
      namespace: string;
    };
    if (
      once &&
      this.ctx.jobsOfEarlierRun.has(name) &&
      // asked through short outages: a resumed operation asks first, maybe while its Job runs
      !(await this.ctx.deps.jobs.throughOutages(
        () => k8s.getJob(namespace, name),
        watch,
      ))
    )
      throw new Error(
        `job ${namespace}/${name}, started before a backend restart, no longer exists; it is not started again so that it cannot run twice: check the database and start a new operation`,
      );
    return this.ctx.deps.jobs.run(k8s, job, watch, follow);
  }

  private backupEnv(): Record<string, string> {
    const { bucket, prefix, restoreDatabase, adopt } = this.ctx.op.context;
    return {
      BACKUP_FILE: this.ctx.op.backupKey.slice(prefix.length),
      TARGET_DATABASE: restoreDatabase,
      S3_BUCKET: bucket,
      S3_PREFIX: prefix,
      ...(adopt && { ADOPT_DUMP: 'true' }),
    };
  }

  async restore(step: OperationStep): Promise<string> {
    const live = this.ctx.op.target?.kind === 'live';
    const outcome = await this.agentJob(step, 'restore', {
      args: ['restore'],
      env: {
        ...this.backupEnv(),
        RESTORE_OVERWRITE: live ? 'true' : 'false',
      },
    });
    if (!outcome.succeeded)
      throw new Error(
        `${describeJobFailure(outcome)}${
          live ? '; the live database was left as it was' : ''
        }`,
      );
    let said: { durationMs?: unknown; sizeBytes?: unknown; sha256?: unknown };
    try {
      said = JSON.parse(outcome.message ?? '') ?? {};
    } catch {
      said = {};
    }
    const durationMs =
      typeof said.durationMs === 'number' ? said.durationMs : undefined;
    if (this.ctx.op.context.adopt) {
      if (
        !Number.isSafeInteger(said.sizeBytes) ||
        typeof said.sha256 !== 'string' ||
        !/^[0-9a-f]{64}$/.test(said.sha256)
      )
        throw new Error(
          `job ${outcome.job} did not say what it restored (size and SHA-256), which adopting the dump needs`,
        );
      this.ctx.op.context.adoptedBytes = {
        sizeBytes: said.sizeBytes as number,
        sha256: said.sha256,
      };
      await this.ctx.save();
    }
    return `restored into ${this.ctx.op.context.restoreDatabase}${
      typeof durationMs === 'number' ? ` in ${took(durationMs)}` : ''
    }`;
  }

  async verify(step: OperationStep): Promise<string> {
    const adopted = this.ctx.op.context.adoptedBytes;
    const outcome = await this.agentJob(step, 'verify', {
      args: ['verify'],
      env: {
        ...this.backupEnv(),
        ...(adopted && {
          ADOPT_SIZE_BYTES: String(adopted.sizeBytes),
          ADOPT_SHA256: adopted.sha256,
        }),
      },
    });
    const report = readVerificationReport(outcome.message, outcome.logTail);
    if (report) {
      const verifiedAt = this.ctx.deps.now();
      this.ctx.op.verification = report;
      if (
        report.passed &&
        (this.ctx.op.kind === 'drill' || this.ctx.op.kind === 'emergency')
      )
        this.ctx.op.measuredRtoMs =
          verifiedAt.getTime() - Date.parse(this.ctx.op.createdAt);
      await this.ctx.deps.records.addVerification(this.ctx.op.entityRef, {
        backupKey: this.ctx.op.backupKey,
        verifiedAt: verifiedAt.toISOString(),
        passed: report.passed,
        ...(!report.passed && { summary: describeFailedChecks(report) }),
      });
      this.ctx.deps.onRecordsChanged(this.ctx.op.entityRef);
    }
    if (!report)
      throw new Error(
        outcome.succeeded
          ? `job ${outcome.job} left no verification report`
          : describeJobFailure(outcome),
      );
    if (!report.passed)
      throw new Error(`verification failed: ${describeFailedChecks(report)}`);
    return describeFailedChecks(report);
  }

  async cleanup(step: OperationStep): Promise<string> {
    const database = this.ctx.op.context.restoreDatabase;
    if (this.ctx.step('restore')?.startedAt === undefined)
      return 'nothing to drop: the restore never ran';
    // A stopped restore Job's pod may still be finishing (its grace period): dropping first could
    // leave the database it creates afterwards behind.
    const unconfirmed: string[] = [];
    for (const id of ['restore', 'verify']) {
      const job = this.ctx.step(id)?.job;
      if (
        job &&
        !(await this.ctx.deps.jobs.untilPodsEnded(
          this.jobCluster(),
          this.ctx.op.context.jobNamespace,
          job,
          this.ctx.watch(false),
        ))
      )
        unconfirmed.push(job);
    }
    // dropdb from the agent image (it ships the PostgreSQL client); the agent has no command
    // to drop a database. The name reaches dropdb through Kubernetes' $(VAR) expansion of
    // an environment variable, never through a shell.
    const outcome = await this.agentJob(
      step,
      'cleanup',
      {
        command: ['dropdb'],
        args: ['--if-exists', '--force', '--', '$(TARGET_DATABASE)'],
        env: { TARGET_DATABASE: database },
      },
      false,
    );
    if (!outcome.succeeded)
      throw new Error(
        `${describeJobFailure(
          outcome,
        )}; the scratch database ${database} may be left behind: drop it by hand (dropdb ${database})`,
      );
    return unconfirmed.length
      ? `dropped ${database}, but could not confirm that job ${unconfirmed.join(
          ' and ',
        )} had stopped: check that ${database} is gone`
      : `dropped ${database}`;
  }
}
