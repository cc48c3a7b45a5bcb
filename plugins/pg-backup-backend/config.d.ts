import { HumanDuration } from '@backstage/types';

export interface Config {
  /**
   * pg-backup's own settings. Clusters come from `kubernetes.clusterLocatorMethods` (type
   * `config`, `authProvider: serviceAccount`) and S3 from `integrations.awsS3` / `aws.accounts`.
   */
  pgBackup?: {
    /** Objectives used where an entity sets no pg-backup.io/rpo, rto, retention or drill-interval. */
    defaultObjectives?: {
      /** Recovery point objective, e.g. `24h`. */
      rpo?: string;
      /** Recovery time objective, e.g. `4h`. */
      rto?: string;
      /** Retention, e.g. `30d`. */
      retention?: string;
      /** Drill cadence, e.g. `90d`. */
      drillInterval?: string;
    };
    /** How often the fleet's health snapshots are refreshed (default 5 minutes). */
    refreshInterval?: HumanDuration;
    /** Delay before the first scheduled refresh after start (default 5 seconds); the first fleet request refreshes at once when no snapshot exists. */
    refreshInitialDelay?: HumanDuration;
    /** Longest one fleet refresh holds the refresh task (default: the refresh interval). A replica stopped in the middle of a refresh holds it this long; the scheduler then frees it within a minute and another replica refreshes. */
    refreshTimeout?: HumanDuration;
    /** How many databases are evaluated at once during a refresh (default 64). */
    refreshConcurrency?: number;
    /** How often databases with a running backup Job, a scheduled run just due or a "Back up now" are re-evaluated between refreshes, so the fleet shows a finished backup within this interval (default 30 seconds). */
    recheckInterval?: HumanDuration;
    cache?: {
      /** How long one database's health is reused (default 30 seconds). */
      healthTtl?: HumanDuration;
      /** How long namespace-wide CronJob and Job lists are shared between the databases in a namespace (default 5 seconds). */
      clusterListTtl?: HumanDuration;
      /** How long bucket lifecycle, encryption, versioning and logging are reused (default 5 minutes). */
      bucketSettingsTtl?: HumanDuration;
    };
    /** Timeout of one Kubernetes or S3 call (default 10 seconds). */
    upstreamTimeout?: HumanDuration;
    storage?: {
      /** Host of the `integrations.awsS3` entry to use when several are configured. */
      integration?: string;
      /** AWS region of the buckets (default us-east-1). */
      region?: string;
    };
    /** Name of the backup Jobs' S3 credentials Secret, checked for rotation (default backup-s3-credentials). */
    credentialsSecretName?: string;
    /** Approval requests for restores over a live database and emergency recoveries. */
    approvals?: {
      /** How long a request, and an approval not yet used, stays valid (default 4 hours), e.g. `4h`. */
      expiry?: HumanDuration | string;
      /** Require an approval for every restore, not only over the live database (default false). */
      requireForAllRestores?: boolean;
    };
    /** The recovery engine (restore, verify, emergency recovery, drill operations). */
    recovery?: {
      /** `ttlSecondsAfterFinished` of the restore, verify and cleanup Jobs (default 1 day). */
      jobTtl?: HumanDuration | string;
      /** How often a running operation reads its Job and whether it was cancelled (default 500 ms). */
      pollInterval?: HumanDuration | string;
      /** A running operation's lease; after it expires another backend resumes the operation where it was (default 1 minute). */
      leaseTimeout?: HumanDuration | string;
      /** Label selector of the database server's pods, checked before an emergency restore (default app.kubernetes.io/name=postgresql). */
      postgresPodSelector?: string;
      /** How long scaled-down Deployments may take to stop their pods (default 5 minutes). */
      scaleDownTimeout?: HumanDuration | string;
      /**
       * Backend services (principal subjects) that may start an operation an approval covers, on
       * behalf of the approval's requester, and follow operations (read them and their Jobs'
       * logs). Default `['plugin:scaffolder']`: the scaffolder module starts a live restore or an
       * emergency recovery after an approval wait that outlasts the initiator's token. Any other
       * service is refused.
       */
      trustedServices?: string[];
    };
    /** The groups of pg-backup's role table (`PgBackupRoles`), which the portal's permission policy calls. */
    permissions?: {
      /** Groups whose members read every database, its logs and the fleet, and approve restores (default `group:default/dba-team`). */
      approverGroups?: string[];
      /** Groups whose members may do everything in pg-backup (default `group:default/platform-team`). */
      adminGroups?: string[];
    };
  };
}
