import fs from 'node:fs';
import os from 'node:os';
import {
  checkBackupKey,
  checkBucketName,
  checkDatabaseName,
  checkKeyPrefix,
  shownValue,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import { refused } from './AgentError';

/** The commands the agent runs. */

/** How a restore feeds pg_restore: streamed from S3 (-j 1), from a downloaded file (-j n), or chosen from the backup. */
export type RestoreMode = 'auto' | 'stream' | 'parallel';
const RESTORE_MODES: RestoreMode[] = ['auto', 'stream', 'parallel'];

export const AGENT_COMMANDS = [
  'backup',
  'checkpoint',
  'restore',
  'verify',
] as const;

/** One of {@link AGENT_COMMANDS}. */
export type AgentCommand = (typeof AGENT_COMMANDS)[number];

/** S3 server-side encryption modes the agent requests. */
export type ServerSideEncryptionMode = 'AES256' | 'aws:kms';

/** How to reach PostgreSQL (libpq's variables). */
export interface PostgresConfig {
  host: string;
  port: number;
  user: string;
  /** From PGPASSWORD or the file named by PGPASSWORD_FILE. */
  password?: string;
  /** PGDATABASE: the database to back up or verify. */
  database?: string;
}

/** Where backups live in S3. */
export interface S3Config {
  bucket: string;
  /** Key prefix, empty or ending with `/`. */
  prefix: string;
  /** Custom endpoint (S3-compatible storage); path-style addressing is used when set. */
  endpoint?: string;
  region: string;
  /** Static credentials; undefined uses the SDK's default chain (e.g. IRSA). */
  credentials?: {
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken?: string;
  };
  sse: ServerSideEncryptionMode;
  kmsKeyId?: string;
}

/** Everything the agent reads from its environment. */
export interface AgentConfig {
  command: AgentCommand;
  postgres: PostgresConfig;
  s3: S3Config;
  /** Restore/verify: the full key of the backup, resolved from BACKUP_FILE. */
  backupKey?: string;
  /** TARGET_DATABASE, if set. */
  targetDatabase?: string;
  restoreOverwrite: boolean;
  /**
   * ADOPT_DUMP: the dump may have no manifest (made outside pg-backup, by a `pg_dump | aws s3 cp`
   * pipeline): restore reads it without one, and verify writes its manifest from the restored
   * copy. A dump that has a manifest is checked against it as always.
   */
  adoptDump: boolean;
  /** Verify of an adopted dump: the size and SHA-256 its restore read (ADOPT_SIZE_BYTES, ADOPT_SHA256). */
  adoptedBytes?: { sizeBytes: number; sha256: string };
  /** `pg_restore -j`. */
  restoreJobs: number;
  /** `pg_dump -Z` (PG_DUMP_COMPRESSION): gzip level of the custom-format dump, 0 (none) to 9. */
  dumpCompression: number;
  /** `stream`, `parallel` or `auto` (RESTORE_MODE): how the dump reaches pg_restore. */
  restoreMode: RestoreMode;
  /** Directory for the restore's temporary file. */
  workDir: string;
  terminationMessagePath: string;
  /** Secret values to keep out of every line the agent prints. */
  secrets: string[];
}

/**
 * `pg_dump -Z1`. Measured on two cores at 1 GB (docs/benchmarks.md): the agent's backup to S3
 * takes 15.8 s against 20.4 s for `pg_dump -Fc` at its default level to a local file, for 7 %
 * more bytes stored; `-Z0` is slower (25.5 s: 2.7× the bytes to upload).
 */
export const DEFAULT_DUMP_COMPRESSION = 1;

/** Environment variables, as `process.env`. */
export type Environment = Record<string, string | undefined>;

const REQUIRED: Record<AgentCommand, string[]> = {
  backup: ['PGDATABASE', 'S3_BUCKET', 'S3_PREFIX'],
  checkpoint: ['PGDATABASE', 'S3_BUCKET', 'S3_PREFIX'],
  restore: ['S3_BUCKET', 'S3_PREFIX', 'BACKUP_FILE'],
  verify: ['S3_BUCKET', 'S3_PREFIX', 'BACKUP_FILE'],
};

/** A value as messages quote it: at most 120 characters, no control or bidi characters. */
function shown(text: string | undefined): string {
  return shownValue(String(text), 120);
}

function value(env: Environment, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

/** Reads a secret from `NAME` or from the file named by `NAME_FILE` (trailing newline dropped). */
export function readSecret(env: Environment, name: string): string | undefined {
  const direct = value(env, name);
  const file = value(env, `${name}_FILE`);
  if (direct !== undefined && file !== undefined) {
    throw refused(`set either ${name} or ${name}_FILE, not both`);
  }
  if (file === undefined) return direct;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw refused(`${name}_FILE: cannot read "${shown(file)}" (${code})`);
  }
  const secret = text.replace(/\r?\n$/, '');
  if (secret === '') {
    throw refused(`${name}_FILE: file "${shown(file)}" is empty`);
  }
  return secret;
}

/**
 * Resolves BACKUP_FILE, a file name under the prefix or a full key, to the key, and checks it
 * names an object directly under the prefix. Throws a refusal naming the value otherwise.
 */
export function resolveBackupKey(backupFile: string, prefix: string): string {
  const key =
    prefix !== '' && backupFile.startsWith(prefix)
      ? backupFile
      : `${prefix}${backupFile}`;
  const problem = checkBackupKey(key, prefix);
  if (problem) {
    throw refused(
      `BACKUP_FILE "${shown(
        backupFile,
      )}" is not valid: ${problem}; give a file name such as qawave_20260130_020000.dump or a full key under "${prefix}"`,
    );
  }
  if (!key.endsWith('.dump')) {
    throw refused(
      `BACKUP_FILE "${shown(
        backupFile,
      )}" is not a dump: expected a name ending in .dump such as qawave_20260130_020000.dump`,
    );
  }
  return key;
}

function parsePort(raw: string | undefined): number {
  if (raw === undefined) return 5432;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65535) {
    throw refused(`PGPORT "${shown(raw)}" is not a port number (1-65535)`);
  }
  return port;
}

function parseBoolean(name: string, raw: string | undefined): boolean {
  if (raw === undefined) return false;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw refused(`${name} "${shown(raw)}" is not valid: use "true" or "false"`);
}

function checkedDatabase(name: string, raw: string | undefined) {
  if (raw === undefined) return undefined;
  const problem = checkDatabaseName(raw);
  if (problem) throw refused(`${name}: ${problem}`);
  return raw;
}

/**
 * Reads and validates the agent's configuration from environment variables. Throws a refusal
 * (exit 2) naming every missing variable, or the first invalid value and what would be valid.
 */
export function readAgentConfig(
  command: AgentCommand,
  env: Environment,
): AgentConfig {
  const missing = REQUIRED[command].filter(name => {
    if (name === 'S3_PREFIX') return env.S3_PREFIX === undefined; // '' means the bucket root
    return value(env, name) === undefined;
  });
  if (command === 'verify' && !value(env, 'TARGET_DATABASE')) {
    if (!value(env, 'PGDATABASE'))
      missing.push('PGDATABASE or TARGET_DATABASE');
  }
  if (missing.length > 0) {
    throw refused(
      `missing environment variable${
        missing.length > 1 ? 's' : ''
      } ${missing.join(', ')} (needed by "${command}")`,
    );
  }

  const password = readSecret(env, 'PGPASSWORD');
  const accessKeyId = readSecret(env, 'AWS_ACCESS_KEY_ID');
  const secretAccessKey = readSecret(env, 'AWS_SECRET_ACCESS_KEY');
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw refused(
      `set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or their _FILE variants), or neither to use the default credential chain; only ${
        accessKeyId === undefined ? 'the secret' : 'the key id'
      } is set`,
    );
  }
  const sessionToken = value(env, 'AWS_SESSION_TOKEN');

  const bucket = env.S3_BUCKET as string;
  const bucketProblem = checkBucketName(bucket);
  if (bucketProblem) throw refused(`S3_BUCKET: ${bucketProblem}`);
  const prefix = env.S3_PREFIX as string;
  const prefixProblem = checkKeyPrefix(prefix);
  if (prefixProblem) throw refused(`S3_PREFIX: ${prefixProblem}`);

  const endpoint = value(env, 'S3_ENDPOINT');
  if (endpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(endpoint)) {
    throw refused(
      `S3_ENDPOINT "${shown(
        endpoint,
      )}" is not an http(s) URL such as https://s3.example.com`,
    );
  }
  const sse = value(env, 'S3_SSE') ?? 'AES256';
  if (sse !== 'AES256' && sse !== 'aws:kms') {
    throw refused(
      `S3_SSE "${shown(sse)}" is not valid: use "AES256" or "aws:kms"`,
    );
  }
  const kmsKeyId = value(env, 'S3_SSE_KMS_KEY_ID');
  if (kmsKeyId !== undefined && sse !== 'aws:kms') {
    throw refused(
      `S3_SSE_KMS_KEY_ID is set but S3_SSE is "${shown(
        sse,
      )}"; set S3_SSE=aws:kms to use a KMS key`,
    );
  }

  const restoreMode = (value(env, 'RESTORE_MODE') ?? 'auto') as RestoreMode;
  if (!RESTORE_MODES.includes(restoreMode)) {
    throw refused(
      `RESTORE_MODE "${shown(restoreMode)}" is not one of ${RESTORE_MODES.join(
        ', ',
      )}`,
    );
  }

  const jobsRaw = value(env, 'RESTORE_JOBS');
  const restoreJobs =
    jobsRaw === undefined
      ? Math.min(4, os.cpus().length || 1)
      : Number(jobsRaw);
  if (
    !Number.isInteger(restoreJobs) ||
    restoreJobs < 1 ||
    restoreJobs > 64 ||
    (jobsRaw !== undefined && !/^\d+$/.test(jobsRaw))
  ) {
    throw refused(
      `RESTORE_JOBS "${shown(jobsRaw)}" is not a whole number from 1 to 64`,
    );
  }

  const compressionRaw = value(env, 'PG_DUMP_COMPRESSION');
  if (compressionRaw !== undefined && !/^[0-9]$/.test(compressionRaw)) {
    throw refused(
      `PG_DUMP_COMPRESSION "${shown(
        compressionRaw,
      )}" is not a gzip level from 0 (no compression) to 9; the default is ${DEFAULT_DUMP_COMPRESSION}`,
    );
  }
  const dumpCompression =
    compressionRaw === undefined
      ? DEFAULT_DUMP_COMPRESSION
      : Number(compressionRaw);

  const adoptDump = parseBoolean('ADOPT_DUMP', value(env, 'ADOPT_DUMP'));
  const adoptedSha256 = value(env, 'ADOPT_SHA256');
  const adoptedSize = value(env, 'ADOPT_SIZE_BYTES');
  if (adoptedSha256 !== undefined && !/^[0-9a-f]{64}$/.test(adoptedSha256)) {
    throw refused(
      `ADOPT_SHA256 "${shown(adoptedSha256)}" is not 64 lowercase hex digits`,
    );
  }
  if (
    adoptedSize !== undefined &&
    !(/^\d+$/.test(adoptedSize) && Number.isSafeInteger(Number(adoptedSize)))
  ) {
    throw refused(
      `ADOPT_SIZE_BYTES "${shown(adoptedSize)}" is not a whole number of bytes`,
    );
  }
  if ((adoptedSha256 === undefined) !== (adoptedSize === undefined)) {
    throw refused(
      'set both ADOPT_SHA256 and ADOPT_SIZE_BYTES (what the restore of the adopted dump read), or neither',
    );
  }

  const backupFile = value(env, 'BACKUP_FILE');
  const secrets = [password, accessKeyId, secretAccessKey, sessionToken].filter(
    (s): s is string => s !== undefined,
  );
  return {
    command,
    postgres: {
      host: value(env, 'PGHOST') ?? 'localhost',
      port: parsePort(value(env, 'PGPORT')),
      user: value(env, 'PGUSER') ?? 'postgres',
      password,
      database: checkedDatabase('PGDATABASE', value(env, 'PGDATABASE')),
    },
    s3: {
      bucket,
      prefix,
      endpoint,
      region: value(env, 'AWS_REGION') ?? 'us-east-1',
      credentials:
        accessKeyId !== undefined && secretAccessKey !== undefined
          ? { accessKeyId, secretAccessKey, sessionToken }
          : undefined,
      sse,
      kmsKeyId,
    },
    backupKey:
      backupFile === undefined
        ? undefined
        : resolveBackupKey(backupFile, prefix),
    targetDatabase: checkedDatabase(
      'TARGET_DATABASE',
      value(env, 'TARGET_DATABASE'),
    ),
    restoreOverwrite: parseBoolean(
      'RESTORE_OVERWRITE',
      value(env, 'RESTORE_OVERWRITE'),
    ),
    adoptDump,
    ...(adoptedSha256 !== undefined && {
      adoptedBytes: { sizeBytes: Number(adoptedSize), sha256: adoptedSha256 },
    }),
    restoreJobs,
    restoreMode,
    dumpCompression,
    workDir: value(env, 'RESTORE_WORK_DIR') ?? os.tmpdir(),
    terminationMessagePath:
      value(env, 'TERMINATION_MESSAGE_PATH') ?? '/dev/termination-log',
    secrets,
  };
}
