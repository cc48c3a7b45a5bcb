import { CronSchedule } from '@pg-backup/backstage-plugin-pg-backup-common';
import { ObjectStore } from '../store/ObjectStore';
import { deleteWithDependents } from '../store/garbageCollection';
import {
  controllerRef,
  createObject,
  k8sTime,
  Obj,
  ownedBy,
  recordEvent,
  TYPES,
} from './objects';

const jobFinished = (job: Obj, type?: 'Complete' | 'Failed') =>
  (job.status?.conditions ?? []).some(
    (c: { type: string; status: string }) =>
      (type ? c.type === type : c.type === 'Complete' || c.type === 'Failed') &&
      c.status === 'True',
  );

/**
 * The CronJob controller: creates Jobs on schedule (UTC or `spec.timeZone`) with the names,
 * labels, annotations and owner references Kubernetes uses; honours `suspend`,
 * `concurrencyPolicy`, `startingDeadlineSeconds` and the history limits; keeps
 * `status.active`, `lastScheduleTime` and `lastSuccessfulTime`.
 */
export class CronJobController {
  constructor(private readonly store: ObjectStore) {}

  /** Starts due Jobs and updates every CronJob's status. */
  reconcile(now: Date): void {
    // read as stored: a CronJob is changed only through store.update below
    for (const cronJob of this.store.peek(TYPES.CronJob) as Obj[]) {
      this.reconcileCronJob(cronJob, now);
    }
  }

  private reconcileCronJob(cronJob: Obj, now: Date): void {
    const jobs = ownedBy(this.store, TYPES.Job, cronJob);
    const status = { ...(cronJob.status ?? {}) };
    const succeeded = jobs.filter(j => jobFinished(j, 'Complete'));
    for (const job of succeeded) {
      const t = job.status?.completionTime;
      if (
        t &&
        (!status.lastSuccessfulTime ||
          Date.parse(t) > Date.parse(status.lastSuccessfulTime))
      )
        status.lastSuccessfulTime = t;
    }
    this.trimHistory(cronJob, jobs);
    let active = jobs.filter(
      j =>
        !jobFinished(j) &&
        this.store.find(TYPES.Job, j.metadata.namespace, j.metadata.name),
    );

    const schedule = CronSchedule.parse(
      cronJob.spec.schedule,
      cronJob.spec.timeZone ?? 'UTC',
    );
    if (!cronJob.spec.suspend && typeof schedule !== 'string') {
      const since = new Date(
        status.lastScheduleTime ?? cronJob.metadata.creationTimestamp,
      );
      const due = schedule.timesBetween(since, now, 101);
      const scheduled = due[due.length - 1];
      const deadline = cronJob.spec.startingDeadlineSeconds;
      if (due.length > 100) {
        recordEvent(
          this.store,
          now,
          cronJob,
          'Warning',
          'TooManyMissedTimes',
          'too many missed start times (> 100). Set or decrease .spec.startingDeadlineSeconds or check clock skew',
        );
      }
      if (
        scheduled &&
        typeof deadline === 'number' &&
        now.getTime() - scheduled.getTime() > deadline * 1000
      ) {
        recordEvent(
          this.store,
          now,
          cronJob,
          'Warning',
          'MissSchedule',
          `Missed scheduled time to start a job: ${k8sTime(scheduled)}`,
        );
        status.lastScheduleTime = k8sTime(scheduled);
      } else if (scheduled) {
        const policy = cronJob.spec.concurrencyPolicy ?? 'Allow';
        if (policy === 'Forbid' && active.length > 0) {
          recordEvent(
            this.store,
            now,
            cronJob,
            'Normal',
            'JobAlreadyActive',
            'Not starting job because prior execution is running and concurrency policy is Forbid',
          );
        } else {
          if (policy === 'Replace') {
            for (const job of active) {
              deleteWithDependents(this.store, TYPES.Job, job, 'Background');
              recordEvent(
                this.store,
                now,
                cronJob,
                'Normal',
                'SuccessfulDelete',
                `Deleted job ${job.metadata.name}`,
              );
            }
            active = [];
          }
          const job = this.startJob(cronJob, scheduled);
          if (job) {
            active.push(job);
            recordEvent(
              this.store,
              now,
              cronJob,
              'Normal',
              'SuccessfulCreate',
              `Created job ${job.metadata.name}`,
            );
          }
          status.lastScheduleTime = k8sTime(scheduled);
        }
      }
    }
    if (active.length > 0) {
      status.active = active.map(j => ({
        kind: 'Job',
        namespace: j.metadata.namespace,
        name: j.metadata.name,
        uid: j.metadata.uid,
        apiVersion: 'batch/v1',
        resourceVersion: j.metadata.resourceVersion,
      }));
    } else {
      delete status.active;
    }
    if (JSON.stringify(status) !== JSON.stringify(cronJob.status ?? {})) {
      const current = this.store.get(
        TYPES.CronJob,
        cronJob.metadata.namespace,
        cronJob.metadata.name,
      );
      this.store.update(TYPES.CronJob, { ...current, status });
    }
  }

  /** Creates the Job for a scheduled time, named `<cronjob>-<minutes since epoch>`. */
  private startJob(cronJob: Obj, scheduled: Date): Obj | undefined {
    const name = `${cronJob.metadata.name}-${Math.floor(
      scheduled.getTime() / 60_000,
    )}`;
    if (this.store.find(TYPES.Job, cronJob.metadata.namespace, name))
      return undefined;
    const template = cronJob.spec.jobTemplate ?? {};
    return createObject(this.store, TYPES.Job, {
      metadata: {
        name,
        namespace: cronJob.metadata.namespace,
        labels: { ...template.metadata?.labels },
        annotations: {
          ...template.metadata?.annotations,
          'batch.kubernetes.io/cronjob-scheduled-timestamp': scheduled
            .toISOString()
            .replace(/\.\d{3}Z$/, 'Z'),
        },
        ownerReferences: [controllerRef(cronJob)],
      },
      spec: structuredClone(template.spec),
    });
  }

  private trimHistory(cronJob: Obj, jobs: Obj[]): void {
    const byFinish = (a: Obj, b: Obj) =>
      Date.parse(
        b.status?.completionTime ??
          b.status?.startTime ??
          b.metadata.creationTimestamp,
      ) -
      Date.parse(
        a.status?.completionTime ??
          a.status?.startTime ??
          a.metadata.creationTimestamp,
      );
    const limits: Array<['Complete' | 'Failed', number]> = [
      ['Complete', cronJob.spec.successfulJobsHistoryLimit ?? 3],
      ['Failed', cronJob.spec.failedJobsHistoryLimit ?? 1],
    ];
    for (const [type, limit] of limits) {
      for (const old of jobs
        .filter(j => jobFinished(j, type))
        .sort(byFinish)
        .slice(limit)) {
        if (
          this.store.find(TYPES.Job, old.metadata.namespace, old.metadata.name)
        ) {
          deleteWithDependents(this.store, TYPES.Job, old, 'Background');
        }
      }
    }
  }
}
