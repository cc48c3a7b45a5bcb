import {
  BackupHealthInput,
  BackupObjectFacts,
  BackupTarget,
  CronJobFacts,
  SIZE_HISTORY,
  SecurityFacts,
  StoragePolicyFacts,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import { V1CronJob } from '@kubernetes/client-node';
import { RecoveryRecordStore } from '../database/RecoveryRecordStore';
import { iso, owningCronJob, toJobFacts } from '../jobs/jobSummaries';
import { KubernetesGateways } from '../kubernetes/KubernetesGateways';
import { BackupStorage } from '../storage/BackupStorage';
import {
  BucketConfiguration,
  BucketSettings,
  settingsForPrefix,
} from '../storage/bucketSettings';
import { UpstreamError, readFact } from '../upstream';

/** Settings of {@link BackupFactsReader}. */
export interface BackupFactsReaderOptions {
  /** How long bucket settings are reused (they rarely change). */
  bucketSettingsTtlMs: number;
  /** Name of the Secret holding the backup Jobs' S3 credentials, checked for rotation. */
  credentialsSecretName: string;
}

/** The newest records of every database, read once per fleet refresh. */
export type RecordsOfAll = Awaited<
  ReturnType<RecoveryRecordStore['latestOfAll']>
>;

/** The health rules' view of a CronJob. */
export function toCronJobFacts(
  cronJob: V1CronJob,
  role: CronJobFacts['role'],
): CronJobFacts {
  const createdAt = iso(cronJob.metadata?.creationTimestamp);
  const lastScheduleTime = iso(cronJob.status?.lastScheduleTime);
  const lastSuccessfulTime = iso(cronJob.status?.lastSuccessfulTime);
  return {
    name: cronJob.metadata?.name ?? '',
    role,
    schedule: cronJob.spec?.schedule ?? '',
    ...(cronJob.spec?.timeZone && { timeZone: cronJob.spec.timeZone }),
    suspend: cronJob.spec?.suspend ?? false,
    ...(cronJob.spec?.startingDeadlineSeconds !== undefined && {
      startingDeadlineSeconds: cronJob.spec.startingDeadlineSeconds,
    }),
    ...(createdAt && { createdAt }),
    ...(lastScheduleTime && { lastScheduleTime }),
    ...(lastSuccessfulTime && { lastSuccessfulTime }),
  };
}

/**
 * Reads every fact the health rules need for one database, each on its own: a failing source
 * becomes an unknown fact with the reason, never an exception. Upstream calls per refresh:
 * Kubernetes 1 CronJob list, 1 Job list and 1 Secret read per namespace (shared by the
 * databases in it for a few seconds); S3 1 list per role (more only when the newest backups
 * are older than the first window) and 1 read of the newest complete backup's manifest per role
 * the first time that manifest (by its listed ETag) is seen,
 * plus 4 bucket-setting reads shared per bucket.
 */
export class BackupFactsReader {
  private readonly bucketConfigurations = new Map<
    string,
    { at: number; value: Promise<BucketConfiguration> }
  >();

  constructor(
    private readonly kubernetes: KubernetesGateways,
    private readonly storage: BackupStorage,
    private readonly records: RecoveryRecordStore,
    private readonly options: BackupFactsReaderOptions,
  ) {}

  /**
   * The bucket settings as they apply to the target's prefix: the bucket's configuration is
   * read once and shared by every database in the bucket for a while, whatever its prefix.
   */
  async readBucketSettings(
    target: BackupTarget,
    now: Date,
  ): Promise<BucketSettings> {
    const bucket = target.storage.bucket;
    let cached = this.bucketConfigurations.get(bucket);
    if (
      !cached ||
      now.getTime() - cached.at >= this.options.bucketSettingsTtlMs
    ) {
      const value = this.storage.readBucketConfiguration(bucket);
      cached = { at: now.getTime(), value };
      this.bucketConfigurations.set(bucket, cached);
      value.catch(() => this.bucketConfigurations.delete(bucket));
    }
    return settingsForPrefix(await cached.value, target.storage.prefix);
  }

  /**
   * Reads the facts of one target at `now`. A fleet refresh passes the records it read for all
   * databases at once.
   */
  async read(
    target: BackupTarget,
    now: Date,
    records?: RecordsOfAll,
  ): Promise<BackupHealthInput> {
    const gateway = readFact(async () => this.kubernetes.for(target.cluster));
    const expected = {
      backup: target.backupCronJob,
      ...(target.checkpointCronJob && {
        checkpoint: target.checkpointCronJob,
      }),
    };
    const cronJobs = readFact(async () => {
      const k8s = await gateway;
      if (!k8s.known) throw new UpstreamError(k8s.reason);
      const all = await k8s.value.listCronJobsShared(target.namespace);
      return Object.entries(expected).flatMap(([role, name]) => {
        const cronJob = all.find(c => c.metadata?.name === name);
        return cronJob
          ? [toCronJobFacts(cronJob, role as CronJobFacts['role'])]
          : [];
      });
    });
    const jobs = readFact(async () => {
      const k8s = await gateway;
      if (!k8s.known) throw new UpstreamError(k8s.reason);
      const names = new Set(Object.values(expected));
      return (await k8s.value.listJobsShared(target.namespace))
        .filter(job => names.has(owningCronJob(job) ?? ''))
        .map(toJobFacts);
    });
    const backups = readFact<BackupObjectFacts[]>(async () =>
      this.storage.checkNewestManifests(
        target.storage.bucket,
        await this.storage.listRecentBackupsAndCheckpoints({
          target,
          now,
          backups: SIZE_HISTORY.window + 1,
          checkpoints: 1,
        }),
      ),
    );
    const settings = this.readBucketSettings(target, now);
    const storagePolicy = readFact<StoragePolicyFacts>(
      async () => (await settings).facts,
    );
    const security = readFact<SecurityFacts>(async () => {
      const { accessLogging } = await settings;
      let credentialsSecret: SecurityFacts['credentialsSecret'];
      const k8s = await gateway;
      if (k8s.known) {
        // A 403 here is not skipped: the Role in rbac.yaml grants this read, so a refusal means
        // the rotation check cannot run, and health says so (unknown) instead of staying silent.
        const createdAt = await k8s.value.getSecretCreationShared(
          target.namespace,
          this.options.credentialsSecretName,
        );
        if (createdAt)
          credentialsSecret = {
            name: this.options.credentialsSecretName,
            createdAt,
          };
      }
      return {
        accessLogging,
        endpoint: this.storage.endpoint,
        ...(credentialsSecret && { credentialsSecret }),
      };
    });
    const latestVerification = readFact(async () =>
      records
        ? records.verifications.get(target.entityRef)
        : this.records.latestVerification(target.entityRef),
    );
    const latestDrill = readFact(async () =>
      records
        ? records.drills.get(target.entityRef)
        : this.records.latestDrill(target.entityRef),
    );
    return {
      objectives: target.objectives,
      expectedCronJobs: expected,
      cronJobs: await cronJobs,
      jobs: await jobs,
      backups: await backups,
      storagePolicy: await storagePolicy,
      latestVerification: await latestVerification,
      latestDrill: await latestDrill,
      security: await security,
    };
  }
}
