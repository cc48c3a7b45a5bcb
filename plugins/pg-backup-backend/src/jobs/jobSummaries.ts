import { V1Job } from '@kubernetes/client-node';
import {
  JobFacts,
  JobSummary,
} from '@pg-backup/backstage-plugin-pg-backup-common';

/** The annotation kubectl (and pg-backup) puts on Jobs created by hand from a CronJob. */
export const MANUAL_INSTANTIATE_ANNOTATION =
  'cronjob.kubernetes.io/instantiate';

/** A Kubernetes timestamp (Date or string) as ISO-8601, or undefined when absent or invalid. */
export const iso = (value: Date | string | undefined) => {
  const time = value ? new Date(value).getTime() : NaN;
  // An unreadable timestamp is treated as absent rather than failing the whole read.
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
};

/** The CronJob that owns a Job, if any. */
export function owningCronJob(job: V1Job): string | undefined {
  return job.metadata?.ownerReferences?.find(r => r.kind === 'CronJob')?.name;
}

/** The health rules' view of a Job. */
export function toJobFacts(job: V1Job): JobFacts {
  const conditions = job.status?.conditions ?? [];
  const failed = conditions.find(
    c => c.type === 'Failed' && c.status === 'True',
  );
  const complete = conditions.find(
    c => c.type === 'Complete' && c.status === 'True',
  );
  let state: JobFacts['state'] = 'running';
  if (failed) state = 'failed';
  else if (complete) state = 'succeeded';
  const cronJob = owningCronJob(job);
  const startTime = iso(
    job.status?.startTime ?? job.metadata?.creationTimestamp,
  );
  const finishedAt = iso(
    job.status?.completionTime ?? failed?.lastTransitionTime,
  );
  return {
    name: job.metadata?.name ?? '',
    ...(cronJob && { cronJob }),
    state,
    ...(startTime && { startTime }),
    ...(finishedAt && { finishedAt }),
    ...(failed && {
      failureReason: [failed.reason, failed.message].filter(Boolean).join(': '),
    }),
  };
}

/** A Job as the jobs tab shows it (failure classification is added by the caller). */
export function toJobSummary(job: V1Job, now: Date): JobSummary {
  const facts = toJobFacts(job);
  const start = facts.startTime ? Date.parse(facts.startTime) : undefined;
  const end = facts.finishedAt ? Date.parse(facts.finishedAt) : now.getTime();
  return {
    ...facts,
    ...(start !== undefined && { durationMs: Math.max(0, end - start) }),
    manual:
      job.metadata?.annotations?.[MANUAL_INSTANTIATE_ANNOTATION] === 'manual',
    pods: [],
  };
}

/** Newest first, by start (or creation) time. */
export function newestFirst<T extends { startTime?: string; name: string }>(
  a: T,
  b: T,
): number {
  return (
    (b.startTime ?? '').localeCompare(a.startTime ?? '') ||
    b.name.localeCompare(a.name)
  );
}
