import { CronSchedule } from '../schedule/CronSchedule';
import {
  BackupHealthInput,
  BackupRole,
  CronJobFacts,
  HealthFinding,
  JobFacts,
  ScheduleState,
} from './types';
import { DAY_MS, MISSED_RUN_GRACE_MS } from './thresholds';

export function evaluateCronJobs(
  input: BackupHealthInput,
  cronJobs: CronJobFacts[],
  now: Date,
  add: (f: HealthFinding) => void,
): { nextRun?: Date; missedRuns: number; schedules: ScheduleState[] } {
  let nextRun: Date | undefined;
  let missedRuns = 0;
  const schedules: ScheduleState[] = [];
  const expected: [BackupRole, string | undefined][] = [
    ['backup', input.expectedCronJobs.backup],
    ['checkpoint', input.expectedCronJobs.checkpoint],
  ];
  for (const [role, name] of expected) {
    if (!name) continue;
    const cronJob = cronJobs.find(c => c.name === name);
    if (!cronJob) {
      schedules.push({ role, cronJob: name, state: 'missing' });
      add({
        code: 'cronjob-missing',
        severity: role === 'backup' ? 'critical' : 'warning',
        subject: name,
        message: `The ${role} CronJob ${name} does not exist in the cluster`,
      });
      continue;
    }
    if (cronJob.suspend) {
      schedules.push({ role, cronJob: name, state: 'suspended' });
      add({
        code: 'cronjob-suspended',
        // No new backups is as serious as no schedule at all; no new checkpoints widens the RPO.
        severity: role === 'backup' ? 'critical' : 'warning',
        subject: name,
        message: `The ${role} CronJob ${name} is suspended: no new ${
          role === 'backup' ? 'backups' : 'checkpoints'
        } will be taken`,
      });
    }
    const schedule = CronSchedule.parse(
      cronJob.schedule,
      cronJob.timeZone ?? 'UTC',
    );
    if (typeof schedule === 'string') {
      if (!cronJob.suspend)
        schedules.push({ role, cronJob: name, state: 'invalid' });
      add({
        code: 'invalid-schedule',
        severity: 'warning',
        subject: name,
        message: `CronJob ${name}: ${schedule}`,
      });
      continue;
    }
    if (cronJob.suspend) continue;
    const next = schedule.nextAfter(now);
    if (next && (!nextRun || next < nextRun)) nextRun = next;
    const previous = schedule.previousAtOrBefore(now, DAY_MS);
    schedules.push({
      role,
      cronJob: name,
      state: 'scheduled',
      ...(next && { nextRun: next.toISOString() }),
      ...(previous && { previousRun: previous.toISOString() }),
    });

    const since = cronJob.lastScheduleTime ?? cronJob.createdAt;
    if (!since || Number.isNaN(Date.parse(since))) continue;
    const graceMs =
      cronJob.startingDeadlineSeconds !== undefined
        ? cronJob.startingDeadlineSeconds * 1000
        : MISSED_RUN_GRACE_MS;
    const missed = schedule.timesBetween(
      new Date(since),
      new Date(now.getTime() - graceMs),
    );
    if (missed.length > 0) {
      missedRuns += missed.length;
      add({
        code: 'missed-runs',
        severity: 'warning',
        subject: name,
        message: `CronJob ${name} missed ${
          missed.length >= 100 ? 'at least 100' : missed.length
        } scheduled run${
          missed.length === 1 ? '' : 's'
        }, the first at ${missed[0].toISOString()}`,
      });
    }
  }
  return { nextRun, missedRuns, schedules };
}

export function evaluateJobs(
  input: BackupHealthInput,
  jobs: JobFacts[],
  add: (f: HealthFinding) => void,
): void {
  const roles: [BackupRole, string | undefined][] = [
    ['backup', input.expectedCronJobs.backup],
    ['checkpoint', input.expectedCronJobs.checkpoint],
  ];
  for (const [role, cronJob] of roles) {
    if (!cronJob) continue;
    const own = jobs.filter(j => j.cronJob === cronJob);
    for (const running of own.filter(j => j.state === 'running')) {
      add({
        code: 'job-running',
        severity: 'info',
        subject: running.name,
        message: `Job ${running.name} is running${
          running.startTime ? ` since ${running.startTime}` : ''
        }`,
      });
    }
    const finished = own
      .filter(j => j.state !== 'running')
      .sort(
        (a, b) =>
          jobTime(b) - jobTime(a) ||
          startTime(b) - startTime(a) ||
          // Same second for both (Kubernetes times have whole seconds): the failure counts.
          Number(b.state === 'failed') - Number(a.state === 'failed'),
      );
    const last = finished[0];
    if (last?.state === 'failed') {
      add({
        code: 'last-job-failed',
        severity: role === 'backup' ? 'critical' : 'warning',
        subject: last.name,
        message: `Last ${role} job ${last.name} failed${
          last.failureReason ? `: ${last.failureReason}` : ''
        }`,
      });
    }
  }
}

export function startTime(job: JobFacts): number {
  const t = Date.parse(job.startTime ?? '');
  return Number.isNaN(t) ? -Infinity : t;
}

export function jobTime(job: JobFacts): number {
  const t = Date.parse(job.finishedAt ?? job.startTime ?? '');
  return Number.isNaN(t) ? -Infinity : t;
}
