import {
  CompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  BackupEntry,
  JobSummary,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import { FollowTiming, pause } from '../FollowTiming';
import { JobLogStreamer } from '../JobLogStreamer';
import { PatientReader } from '../PatientReader';
import { PgBackupClient, parseDatabaseRef } from '../PgBackupClient';
import {
  PgBackupActionOptions,
  PgBackupStepContext,
  clientForInitiator,
  followTiming,
} from './PgBackupActionOptions';
import { examples } from './backupCreate.examples';
import { dryRunOutput, entityRefField } from './recoverySchemas';

/** A dump taken this long before its Job's start still counts as the Job's (clock skew). */
const CLOCK_SKEW_MS = 60_000;

/** Follows the backup Job to its end, streaming its log; throws when it fails or the task is cancelled. */
async function followBackupJob(
  ctx: PgBackupStepContext,
  api: PgBackupClient,
  entity: CompoundEntityRef,
  jobName: string,
  timing: FollowTiming,
): Promise<JobSummary> {
  const logs = new JobLogStreamer(api, entity, ctx.logger, timing.logTailLines);
  const reader = new PatientReader(
    `backup Job ${jobName}`,
    ctx.logger,
    timing.maxConsecutiveFailures,
  );
  for (;;) {
    if (ctx.signal?.aborted) {
      throw new Error(
        `The task was cancelled; backup Job ${jobName} keeps running in the cluster (pg-backup does not stop backup Jobs)`,
      );
    }
    const job = await reader.read(() => api.getJob(entity, jobName));
    if (job) {
      await logs.poll(jobName);
      if (job.state === 'succeeded') return job;
      if (job.state === 'failed') {
        const why = job.failure
          ? `${job.failure.kind}: ${job.failure.hint}${
              job.failure.evidence ? ` (${job.failure.evidence})` : ''
            }`
          : job.failureReason ?? 'no reason reported';
        throw new Error(`Backup Job ${jobName} failed: ${why}`);
      }
    }
    await pause(timing.pollIntervalMs, ctx.signal);
  }
}

/** The backup the Job wrote: the newest complete one that is new and not older than the Job. */
function newBackup(
  items: BackupEntry[],
  previousKey: string | null,
  job: JobSummary,
): BackupEntry | undefined {
  const since = job.startTime
    ? Date.parse(job.startTime) - CLOCK_SKEW_MS
    : -Infinity;
  return items.find(
    b =>
      b.complete &&
      b.key !== previousKey &&
      Date.parse(b.takenAt || b.lastModified) >= since,
  );
}

/** `pg-backup:backup:create`: backs up now and waits for the new backup. */
export function createBackupCreateAction(options: PgBackupActionOptions) {
  return createTemplateAction({
    id: 'pg-backup:backup:create',
    description:
      "Backs up a pg-backup database now: creates a Job from its backup CronJob (as kubectl create job --from does), streams the Job's log, waits for it to finish and returns the new backup's key.",
    examples,
    supportsDryRun: true,
    schema: {
      input: z =>
        z.object({
          entityRef: entityRefField(z),
        }),
      output: z =>
        z.object({
          dryRun: dryRunOutput(z),
          cronJob: z
            .string()
            .optional()
            .describe(
              'The backup CronJob the Job is (or would be) created from.',
            ),
          namespace: z.string().optional().describe('Namespace of the Job.'),
          job: z.string().optional().describe('Name of the backup Job.'),
          backupKey: z
            .string()
            .optional()
            .describe('Object key of the new backup.'),
          sizeBytes: z
            .number()
            .optional()
            .describe('Size of the new backup in bytes.'),
        }),
    },
    async handler(ctx) {
      const entity = parseDatabaseRef(ctx.input.entityRef);
      const ref = stringifyEntityRef(entity);
      const api = await clientForInitiator(ctx, options);
      const timing = followTiming(options);

      if (ctx.isDryRun) {
        // POST .../backups has no dry run; reading the CronJobs shows what it would do.
        const { cronJobs } = await api.listJobs(entity);
        ctx.output('dryRun', true);
        if (!cronJobs.known) {
          ctx.logger.warn(
            `Dry run, nothing changed: would back up ${ref}, but its CronJobs cannot be read: ${cronJobs.reason}`,
          );
          return;
        }
        const cronJob = cronJobs.value.find(c => c.role === 'backup');
        if (!cronJob) {
          ctx.logger.warn(
            `Dry run, nothing changed: ${ref} has no backup CronJob, so a real run would be refused`,
          );
          return;
        }
        ctx.logger.info(
          `Dry run, nothing changed: would create a Job from CronJob ${
            cronJob.name
          } (schedule "${cronJob.schedule}"${
            cronJob.suspend ? ', suspended' : ''
          }) and wait for the new backup of ${ref}`,
        );
        ctx.output('cronJob', cronJob.name);
        return;
      }

      const triggered = await ctx.checkpoint({
        key: 'trigger-backup',
        fn: async () => {
          let previousKey: string | null = null;
          try {
            previousKey =
              (await api.listBackups(entity, 1)).items[0]?.key ?? null;
          } catch (error) {
            ctx.logger.warn(
              `The newest backup before this one could not be read (${
                (error as Error).message
              }); the new backup is recognised by its time alone`,
            );
          }
          const result = await api.triggerBackup(entity);
          ctx.logger.info(
            `Created backup Job ${result.job} in namespace ${result.namespace} from CronJob ${result.cronJob}`,
          );
          return { ...result, previousKey };
        },
      });
      ctx.output('cronJob', triggered.cronJob);
      ctx.output('namespace', triggered.namespace);
      ctx.output('job', triggered.job);

      const job = await followBackupJob(
        ctx,
        api,
        entity,
        triggered.job,
        timing,
      );
      ctx.logger.info(
        `Backup Job ${triggered.job} succeeded${
          job.durationMs !== undefined
            ? ` in ${Math.round(job.durationMs / 1000)} s`
            : ''
        }`,
      );

      // The manifest is written last, so the listing may lag the Job by a moment.
      const deadline = Date.now() + timing.backupListingGraceMs;
      for (;;) {
        const { items } = await api.listBackups(entity, 5);
        const created = newBackup(items, triggered.previousKey, job);
        if (created) {
          ctx.logger.info(
            `New backup ${created.key} (${created.size} bytes, taken at ${created.takenAt})`,
          );
          ctx.output('backupKey', created.key);
          ctx.output('sizeBytes', created.size);
          return;
        }
        if (Date.now() >= deadline) {
          throw new Error(
            `Backup Job ${
              triggered.job
            } succeeded, but no new complete backup of ${ref} appeared within ${Math.round(
              timing.backupListingGraceMs / 1000,
            )} s; the newest is ${
              items[0]?.key ?? 'none'
            }. Check the Job's log for the upload.`,
          );
        }
        await pause(timing.pollIntervalMs, ctx.signal);
      }
    },
  });
}
