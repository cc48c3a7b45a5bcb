import { ObjectStore } from '../store/ObjectStore';
import { deleteWithDependents } from '../store/garbageCollection';
import {
  controllerRef,
  createObject,
  k8sTime,
  Obj,
  ownedBy,
  randomSuffix,
  recordEvent,
  TYPES,
} from './objects';

/** Options of {@link JobController}. */
export interface JobControllerOptions {
  /** First retry delay after a failed pod; doubles per failure up to 6 minutes (Kubernetes: 10 s). */
  backoffBaseMs?: number;
}

const finished = (job: Obj) =>
  (job.status?.conditions ?? []).some(
    (c: { type: string; status: string }) =>
      (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  );

/**
 * The Job controller: runs one pod at a time until one succeeds, honouring `backoffLimit`
 * (failed pods plus container restarts), `activeDeadlineSeconds`, `ttlSecondsAfterFinished` and
 * `suspend`, and keeps `status` as Kubernetes does (startTime, completionTime, active, succeeded,
 * failed, Complete/Failed conditions with reasons).
 */
export class JobController {
  constructor(
    private readonly store: ObjectStore,
    private readonly options: JobControllerOptions = {},
  ) {}

  /** Brings every Job one step closer to its desired state. */
  reconcile(now: Date): void {
    for (const job of this.store.list(TYPES.Job) as Obj[]) {
      if (
        !this.store.find(TYPES.Job, job.metadata.namespace, job.metadata.name)
      )
        continue;
      this.reconcileJob(job, now);
    }
  }

  private reconcileJob(job: Obj, now: Date): void {
    const status = { ...(job.status ?? {}) };
    if (finished(job)) {
      const ttl = job.spec?.ttlSecondsAfterFinished;
      const doneAt = Date.parse(
        status.completionTime ?? lastTransition(job) ?? '',
      );
      if (
        typeof ttl === 'number' &&
        !Number.isNaN(doneAt) &&
        now.getTime() >= doneAt + ttl * 1000
      ) {
        deleteWithDependents(this.store, TYPES.Job, job, 'Background');
      }
      return;
    }
    if (job.spec?.suspend) return;
    status.startTime ??= k8sTime(now);

    const pods = ownedBy(this.store, TYPES.Pod, job);
    const active = pods.filter(
      p => p.status?.phase === 'Pending' || p.status?.phase === 'Running',
    );
    const succeeded = pods.filter(p => p.status?.phase === 'Succeeded');
    const failed = pods.filter(p => p.status?.phase === 'Failed');
    const restarts = pods.reduce(
      (sum, p) =>
        sum +
        (p.status?.containerStatuses ?? []).reduce(
          (s: number, c: { restartCount?: number }) =>
            s + (c.restartCount ?? 0),
          0,
        ),
      0,
    );

    const deadline = job.spec?.activeDeadlineSeconds;
    let failure: { reason: string; message: string } | undefined;
    if (
      typeof deadline === 'number' &&
      now.getTime() - Date.parse(status.startTime) > deadline * 1000
    ) {
      failure = {
        reason: 'DeadlineExceeded',
        message: 'Job was active longer than specified deadline',
      };
    } else if (
      succeeded.length === 0 &&
      failed.length + restarts > (job.spec?.backoffLimit ?? 6)
    ) {
      failure = {
        reason: 'BackoffLimitExceeded',
        message: 'Job has reached the specified backoff limit',
      };
    }

    if (succeeded.length > 0) {
      const at = k8sTime(now);
      Object.assign(status, {
        succeeded: succeeded.length,
        active: 0,
        ready: 0,
        terminating: 0,
        completionTime: at,
        conditions: [
          {
            type: 'SuccessCriteriaMet',
            status: 'True',
            reason: 'CompletionsReached',
            message: 'Reached expected number of succeeded pods',
            lastProbeTime: at,
            lastTransitionTime: at,
          },
          {
            type: 'Complete',
            status: 'True',
            reason: 'CompletionsReached',
            message: 'Reached expected number of succeeded pods',
            lastProbeTime: at,
            lastTransitionTime: at,
          },
        ],
      });
      if (failed.length) status.failed = failed.length;
      this.save(job, status);
      recordEvent(this.store, now, job, 'Normal', 'Completed', 'Job completed');
      return;
    }
    if (failure) {
      for (const pod of active)
        deleteWithDependents(this.store, TYPES.Pod, pod, 'Background');
      const at = k8sTime(now);
      Object.assign(status, {
        active: 0,
        ready: 0,
        terminating: 0,
        failed: failed.length + active.length,
        conditions: [
          {
            type: 'FailureTarget',
            status: 'True',
            reason: failure.reason,
            message: failure.message,
            lastProbeTime: at,
            lastTransitionTime: at,
          },
          {
            type: 'Failed',
            status: 'True',
            reason: failure.reason,
            message: failure.message,
            lastProbeTime: at,
            lastTransitionTime: at,
          },
        ],
      });
      this.save(job, status);
      recordEvent(
        this.store,
        now,
        job,
        'Warning',
        failure.reason,
        failure.message,
      );
      return;
    }

    if (active.length === 0 && this.backoffElapsed(failed, now)) {
      const template = job.spec.template;
      const pod = createObject(this.store, TYPES.Pod, {
        metadata: {
          name: `${job.metadata.name}-${randomSuffix()}`,
          generateName: `${job.metadata.name}-`,
          namespace: job.metadata.namespace,
          labels: { ...template.metadata?.labels },
          annotations: { ...template.metadata?.annotations },
          ownerReferences: [controllerRef(job)],
        },
        spec: structuredClone(template.spec),
      });
      recordEvent(
        this.store,
        now,
        job,
        'Normal',
        'SuccessfulCreate',
        `Created pod: ${pod.metadata.name}`,
      );
      active.push(pod);
    }
    Object.assign(status, {
      active: active.length || undefined,
      ready: active.filter(p => p.status?.phase === 'Running').length,
      terminating: 0,
      failed: failed.length || undefined,
      uncountedTerminatedPods: {},
    });
    for (const key of Object.keys(status))
      if (status[key] === undefined) delete status[key];
    this.save(job, status);
  }

  private backoffElapsed(failed: Obj[], now: Date): boolean {
    if (failed.length === 0) return true;
    const lastFailure = Math.max(
      ...failed.map(p =>
        Date.parse(
          p.status?.containerStatuses?.[0]?.state?.terminated?.finishedAt ??
            (p.metadata.creationTimestamp as string),
        ),
      ),
    );
    const base = this.options.backoffBaseMs ?? 10_000;
    const delay = Math.min(base * 2 ** (failed.length - 1), 360_000);
    return now.getTime() >= lastFailure + delay;
  }

  private save(job: Obj, status: Record<string, unknown>): void {
    if (JSON.stringify(job.status) === JSON.stringify(status)) return;
    this.store.update(TYPES.Job, { ...job, status });
  }
}

function lastTransition(job: Obj): string | undefined {
  return (job.status?.conditions ?? []).find(
    (c: { type: string }) => c.type === 'Failed' || c.type === 'Complete',
  )?.lastTransitionTime;
}
