import { Writable } from 'node:stream';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import {
  BackupTarget,
  CronJobSummary,
  CronSchedule,
  JobsResponse,
  JobSummary,
  TriggerBackupResponse,
  checkDnsSubdomain,
  shownValue,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import { V1Job, V1Pod } from '@kubernetes/client-node';
import { toCronJobFacts } from '../health/BackupFactsReader';
import { OPERATION_LABEL } from '../recovery/buildOperationJobs';
import { KubernetesGateway } from '../kubernetes/KubernetesGateway';
import { KubernetesGateways } from '../kubernetes/KubernetesGateways';
import { reasonOf, readFact } from '../upstream';
import { classifyJobFailure } from './classifyJobFailure';
import {
  MANUAL_INSTANTIATE_ANNOTATION,
  iso,
  newestFirst,
  owningCronJob,
  toJobSummary,
} from './jobSummaries';

/** Failed Jobs whose pods are read to classify the failure (newest first). */
const CLASSIFIED_FAILURES = 5;
const LOG_TAIL_FOR_CLASSIFICATION = 50;
/** The most log lines one request may ask for. */
export const MAX_TAIL_LINES = 5000;

/** Options of a log request. */
export interface LogRequest {
  /** The Job. */
  job: string;
  /** One of the Job's pods; default the newest. */
  pod?: string;
  /** Lines from the end. */
  tailLines: number;
}

/** The target's CronJobs and Jobs: history, logs and "back up now". */
export class BackupJobs {
  private readonly triggering = new Set<string>();

  private readonly kubernetes: KubernetesGateways;
  private readonly now: () => Date;
  private readonly operationEntity: (
    operationId: string,
  ) => Promise<string | undefined>;

  constructor(options: {
    kubernetes: KubernetesGateways;
    /** The database entity of a recovery operation, so its restore and verify Jobs are the entity's too. */
    operationEntity?: (operationId: string) => Promise<string | undefined>;
    now?: () => Date;
  }) {
    this.kubernetes = options.kubernetes;
    this.now = options.now ?? (() => new Date());
    this.operationEntity = options.operationEntity ?? (async () => undefined);
  }

  private cronJobNames(
    target: BackupTarget,
  ): Map<string, 'backup' | 'checkpoint'> {
    const names = new Map<string, 'backup' | 'checkpoint'>([
      [target.backupCronJob, 'backup'],
    ]);
    if (target.checkpointCronJob)
      names.set(target.checkpointCronJob, 'checkpoint');
    return names;
  }

  /** CronJobs with their next run, and the Job history newest first with classified failures. */
  async list(target: BackupTarget): Promise<JobsResponse> {
    const k8s = this.kubernetes.for(target.cluster);
    const now = this.now();
    const names = this.cronJobNames(target);
    const [cronJobs, jobs] = await Promise.all([
      readFact(async () => {
        const found = await Promise.all(
          [...names].map(async ([name, role]) => {
            const cronJob = await k8s.getCronJob(target.namespace, name);
            if (!cronJob) return undefined;
            const facts = toCronJobFacts(cronJob, role);
            let nextRun: string | undefined;
            const schedule = CronSchedule.parse(facts.schedule, facts.timeZone);
            if (!facts.suspend && typeof schedule !== 'string') {
              nextRun = schedule.nextAfter(now)?.toISOString();
            }
            const summary: CronJobSummary = {
              ...facts,
              ...(nextRun && { nextRun }),
            };
            return summary;
          }),
        );
        return found.filter((c): c is CronJobSummary => c !== undefined);
      }),
      readFact(async () => {
        const owned = (await k8s.listJobs(target.namespace)).filter(job =>
          names.has(owningCronJob(job) ?? ''),
        );
        const summaries = owned
          .map(job => ({ job, summary: toJobSummary(job, now) }))
          .sort((a, b) => newestFirst(a.summary, b.summary));
        let classified = 0;
        for (const { job, summary } of summaries) {
          if (summary.state !== 'failed' || classified >= CLASSIFIED_FAILURES)
            continue;
          classified++;
          await this.classify(k8s, target, job, summary);
        }
        return summaries.map(s => s.summary);
      }),
    ]);
    return { cronJobs, jobs };
  }

  private async classify(
    k8s: KubernetesGateway,
    target: BackupTarget,
    job: V1Job,
    summary: JobSummary,
  ): Promise<void> {
    const condition = job.status?.conditions?.find(
      c => c.type === 'Failed' && c.status === 'True',
    );
    let pods: V1Pod[] = [];
    try {
      pods = await k8s.listJobPods(target.namespace, summary.name);
    } catch {
      pods = [];
    }
    summary.pods = pods.map(p => p.metadata?.name ?? '').filter(Boolean);
    const pod = newestPod(pods);
    const status = pod?.status?.containerStatuses?.[0];
    const terminated =
      status?.state?.terminated ?? status?.lastState?.terminated;
    let logTail: string | undefined;
    if (pod && !terminated?.message) {
      try {
        logTail = await k8s.readLogTail(
          target.namespace,
          pod.metadata!.name!,
          pod.spec?.containers?.[0]?.name ?? '',
          LOG_TAIL_FOR_CLASSIFICATION,
        );
      } catch {
        logTail = undefined;
      }
    }
    summary.failure = classifyJobFailure({
      exitCode: terminated?.exitCode,
      containerReason: terminated?.reason,
      terminationMessage: terminated?.message,
      jobReason: condition?.reason,
      jobMessage: condition?.message,
      logTail,
    });
  }

  /**
   * The Job, checked to belong to the target: a Job of its CronJobs, or a Job of one of its
   * recovery operations (labelled `pg-backup.io/operation`); 404 otherwise.
   */
  private async ownedJob(
    k8s: KubernetesGateway,
    target: BackupTarget,
    name: string,
  ): Promise<V1Job> {
    const problem =
      name.length > 253
        ? `"${shownValue(name)}" is longer than 253 characters`
        : checkDnsSubdomain(name);
    if (problem) throw new InputError(`invalid job name: ${problem}`);
    // Found in the namespace's list, never read by name: a crafted name of another app's Job
    // must not reach the cluster as a request for that Job.
    const job = (await k8s.listJobs(target.namespace)).find(
      j => j.metadata?.name === name,
    );
    const operationId = job?.metadata?.labels?.[OPERATION_LABEL];
    const owned =
      this.cronJobNames(target).has(owningCronJob(job ?? {}) ?? '') ||
      (operationId !== undefined &&
        (await this.operationEntity(operationId)) === target.entityRef);
    if (!job || !owned)
      throw new NotFoundError(
        `job ${name} is not a job of ${target.entityRef} (namespace ${target.namespace})`,
      );
    return job;
  }

  /** Picks the pod and container whose log a request asks for. */
  private async logSource(
    k8s: KubernetesGateway,
    target: BackupTarget,
    request: LogRequest,
  ): Promise<{ pod: string; container: string }> {
    if (
      !Number.isSafeInteger(request.tailLines) ||
      request.tailLines < 0 ||
      request.tailLines > MAX_TAIL_LINES
    )
      throw new InputError(
        `tailLines must be an integer from 0 to ${MAX_TAIL_LINES}, got ${request.tailLines}`,
      );
    await this.ownedJob(k8s, target, request.job);
    const pods = await k8s.listJobPods(target.namespace, request.job);
    let pod: V1Pod | undefined;
    if (request.pod !== undefined) {
      pod = pods.find(p => p.metadata?.name === request.pod);
      if (!pod)
        throw new NotFoundError(
          `pod ${shownValue(request.pod)} is not a pod of job ${
            request.job
          }; its pods: ${
            pods.map(p => p.metadata?.name).join(', ') || '(none)'
          }`,
        );
    } else {
      pod = newestPod(pods);
      if (!pod) throw new NotFoundError(`job ${request.job} has no pods (yet)`);
    }
    const containers = pod.spec?.containers ?? [];
    const container = containers.find(c => c.name === 'agent') ?? containers[0];
    return { pod: pod.metadata!.name!, container: container?.name ?? '' };
  }

  /** The last lines of a Job's pod log. */
  async readLog(
    target: BackupTarget,
    request: LogRequest,
  ): Promise<{ pod: string; text: string }> {
    const k8s = this.kubernetes.for(target.cluster);
    const source = await this.logSource(k8s, target, request);
    const text = await k8s.readLogTail(
      target.namespace,
      source.pod,
      source.container,
      request.tailLines,
    );
    return { pod: source.pod, text };
  }

  /** Follows a Job's pod log into `out` until the pod stops or the client goes away. */
  async followLog(
    target: BackupTarget,
    request: LogRequest,
    out: Writable,
    signal: AbortSignal,
  ): Promise<void> {
    const k8s = this.kubernetes.for(target.cluster);
    const source = await this.logSource(k8s, target, request);
    await k8s.followLog(
      target.namespace,
      source.pod,
      source.container,
      request.tailLines,
      out,
      signal,
    );
  }

  /**
   * Creates a Job from the backup CronJob exactly as `kubectl create job --from=cronjob/...`
   * does (owner reference, `cronjob.kubernetes.io/instantiate: manual`, the template's labels,
   * annotations and spec). Refused with 409 while a Job of that CronJob is running.
   */
  async trigger(
    target: BackupTarget,
    requestedBy: string,
  ): Promise<TriggerBackupResponse> {
    const k8s = this.kubernetes.for(target.cluster);
    const lockKey = `${target.cluster ?? ''}/${target.namespace}/${
      target.backupCronJob
    }`;
    if (this.triggering.has(lockKey))
      throw new ConflictError(
        `a backup of ${target.entityRef} is being started right now; wait for it`,
      );
    this.triggering.add(lockKey);
    try {
      const cronJob = await k8s.getCronJob(
        target.namespace,
        target.backupCronJob,
      );
      if (!cronJob)
        throw new NotFoundError(
          `CronJob ${target.backupCronJob} does not exist in namespace ${target.namespace}`,
        );
      const running = (await k8s.listJobs(target.namespace)).find(
        job =>
          owningCronJob(job) === target.backupCronJob &&
          toJobSummary(job, this.now()).state === 'running',
      );
      if (running)
        throw new ConflictError(
          `backup job ${running.metadata?.name} of ${target.entityRef} is still running; wait for it to finish`,
        );
      const template = cronJob.spec?.jobTemplate ?? {};
      const stamp = Math.floor(this.now().getTime() / 1000).toString(36);
      const name = `${target.backupCronJob.slice(
        0,
        63 - 8 - stamp.length,
      )}-manual-${stamp}`;
      const job: V1Job = {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: {
          name,
          namespace: target.namespace,
          labels: { ...template.metadata?.labels },
          annotations: {
            ...template.metadata?.annotations,
            [MANUAL_INSTANTIATE_ANNOTATION]: 'manual',
            'pg-backup.io/requested-by': requestedBy,
          },
          ownerReferences: [
            {
              apiVersion: 'batch/v1',
              kind: 'CronJob',
              name: target.backupCronJob,
              uid: cronJob.metadata?.uid ?? '',
              controller: true,
            },
          ],
        },
        spec: template.spec,
      };
      try {
        await k8s.createJob(target.namespace, job);
      } catch (error) {
        if ((error as { status?: number }).status === 409)
          throw new ConflictError(
            `job ${name} already exists: ${reasonOf(error)}`,
          );
        throw error;
      }
      return {
        namespace: target.namespace,
        job: name,
        cronJob: target.backupCronJob,
      };
    } finally {
      this.triggering.delete(lockKey);
    }
  }

  /** One Job's current summary (for watching a triggered backup). */
  async get(target: BackupTarget, name: string): Promise<JobSummary> {
    const k8s = this.kubernetes.for(target.cluster);
    const job = await this.ownedJob(k8s, target, name);
    return toJobSummary(job, this.now());
  }
}

function newestPod(pods: V1Pod[]): V1Pod | undefined {
  const created = (pod: V1Pod) => iso(pod.metadata?.creationTimestamp) ?? '';
  return [...pods].sort((a, b) => created(b).localeCompare(created(a)))[0];
}
