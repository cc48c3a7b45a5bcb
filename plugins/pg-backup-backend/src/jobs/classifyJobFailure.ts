import {
  JobFailure,
  JobFailureKind,
} from '@pg-backup/backstage-plugin-pg-backup-common';

/** What is known of a failed Job's container. */
export interface FailureEvidence {
  /** Container exit code, when it terminated. */
  exitCode?: number;
  /** Container termination reason (`OOMKilled`, `Error`, ...). */
  containerReason?: string;
  /** Termination message (the agent writes its final error or verify report there). */
  terminationMessage?: string;
  /** The Job's failure condition reason (`BackoffLimitExceeded`, `DeadlineExceeded`). */
  jobReason?: string;
  /** The Job's failure condition message. */
  jobMessage?: string;
  /** The last lines of the log. */
  logTail?: string;
}

interface Rule {
  kind: JobFailureKind;
  pattern: RegExp;
  hint: string;
}

/**
 * The QAWave runbook's troubleshooting table, as rules: the first rule whose pattern matches the
 * termination message, the log tail or the Job's condition wins.
 */
const RULES: Rule[] = [
  {
    kind: 's3-credentials',
    pattern:
      /InvalidAccessKeyId|SignatureDoesNotMatch|ExpiredToken|TokenRefreshRequired|rejected the credentials|no AWS credentials found/i,
    hint: 'S3 rejected the credentials or they expired: rotate the keys in the backup-s3-credentials Secret (or fix the pod IAM role) and run the job again.',
  },
  {
    kind: 's3-access-denied',
    pattern: /AccessDenied|access denied to s3:|\b403\b.*S3|Forbidden/i,
    hint: 'The credentials work but lack a permission: grant s3:PutObject, s3:GetObject, s3:ListBucket and s3:AbortMultipartUpload on the bucket and prefix (and kms:GenerateDataKey for aws:kms).',
  },
  {
    kind: 's3-bucket-missing',
    pattern:
      /NoSuchBucket|bucket "?[\w.-]+"? does not exist|specified bucket does not exist/i,
    hint: 'The bucket does not exist: create it (the QAWave runbook\'s first prerequisite, "S3-compatible storage bucket created", with its lifecycle rule and default encryption) or correct S3_BUCKET in the backup ConfigMap and the pg-backup.io/bucket annotation.',
  },
  {
    kind: 'disk-full',
    pattern: /ENOSPC|no space left on device|could not extend file|disk full/i,
    hint: "A disk is full: free space on the database volume or the job's work volume (RESTORE_WORK_DIR), or enlarge it.",
  },
  {
    kind: 'network-unreachable',
    pattern:
      /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ECONNRESET|cannot reach|could not connect to server|Connection refused|could not translate host name/i,
    hint: "A network endpoint could not be reached: check PGHOST/PGPORT and S3_ENDPOINT, NetworkPolicies and DNS from the job's namespace.",
  },
  {
    kind: 'database-in-use',
    pattern:
      /is being accessed by other users|active connections|database .* is in use|other sessions using the database/i,
    hint: 'The target database has active connections: scale the dependent Deployments down first, or restore into a new database.',
  },
  {
    kind: 'database-privileges',
    pattern:
      /permission denied for|must be owner of|lacks a privilege|42501|password authentication failed|rejected user/i,
    hint: 'The database user lacks a privilege or was rejected: check PGUSER/PGPASSWORD and grant it CONNECT and SELECT (backup) or CREATEDB (restore).',
  },
];

const OUT_OF_MEMORY: Rule = {
  kind: 'out-of-memory',
  pattern: /OOMKilled|out of memory|JavaScript heap/i,
  hint: 'The container ran out of memory: raise its memory limit (the agent streams, so this is usually pg_restore or a very large table).',
};

const DEADLINE: Rule = {
  kind: 'deadline-exceeded',
  pattern: /DeadlineExceeded|activeDeadlineSeconds/i,
  hint: 'The job ran longer than its activeDeadlineSeconds: raise the deadline or investigate why the dump slowed down.',
};

/** Classifies a failed Job from its exit code, termination message, condition and log tail. */
export function classifyJobFailure(evidence: FailureEvidence): JobFailure {
  if (evidence.exitCode === 137 || evidence.containerReason === 'OOMKilled') {
    return {
      kind: OUT_OF_MEMORY.kind,
      hint: OUT_OF_MEMORY.hint,
      evidence: (
        evidence.containerReason ?? `exit code ${evidence.exitCode}`
      ).slice(0, 500),
    };
  }
  if (evidence.jobReason === 'DeadlineExceeded') {
    return {
      kind: DEADLINE.kind,
      hint: DEADLINE.hint,
      evidence: (evidence.jobMessage ?? evidence.jobReason).slice(0, 500),
    };
  }
  const sources = [
    evidence.terminationMessage,
    evidence.logTail,
    evidence.jobMessage,
  ].filter((s): s is string => Boolean(s));
  for (const rule of [...RULES, OUT_OF_MEMORY, DEADLINE]) {
    for (const text of sources) {
      const line = text
        .split('\n')
        .reverse()
        .find(l => rule.pattern.test(l));
      if (line) {
        return {
          kind: rule.kind,
          hint: rule.hint,
          evidence: line.trim().slice(0, 500),
        };
      }
    }
  }
  const last = sources[0]?.trim().split('\n').pop();
  return {
    kind: 'unknown',
    hint: "The failure did not match a known cause: read the job's log.",
    ...(last && { evidence: last.slice(0, 500) }),
  };
}
