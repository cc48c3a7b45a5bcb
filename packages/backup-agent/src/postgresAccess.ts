import { Client } from 'pg';
import {
  AgentError,
  errorCode,
  failed,
  firstLine,
  refused,
} from './AgentError';
import type { PostgresConfig } from './config';

/** The database the agent connects to for CREATE/DROP DATABASE. */
export const MAINTENANCE_DATABASE = 'postgres';

/** Opens a connection to one database; the password never appears in an error or a log line. */
export async function connectPostgres(
  pg: PostgresConfig,
  database: string,
  variable = 'PGDATABASE',
): Promise<Client> {
  const client = new Client({
    host: pg.host,
    port: pg.port,
    user: pg.user,
    password: pg.password,
    database,
    application_name: 'backup-agent',
  });
  // an idle client whose server goes away emits 'error'; the next query reports it instead
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => {});
    throw describePostgresError(e, pg, database, variable);
  }
  return client;
}

/** Turns a connection or query error into a one-line message that names the offending value. */
export function describePostgresError(
  error: unknown,
  pg: PostgresConfig,
  database: string,
  variable = 'PGDATABASE',
): AgentError {
  if (error instanceof AgentError) return error;
  const code = errorCode(error);
  const where = `PostgreSQL at ${pg.host}:${pg.port}`;
  switch (code) {
    case '3D000':
      return refused(
        `database "${database}" does not exist on ${where} (${variable}); check the name`,
        error,
      );
    case '28P01':
    case '28000':
      return refused(
        `${where} rejected user "${
          pg.user
        }" (PGUSER) for database "${database}": ${firstLine(
          error,
        )}; check PGUSER and PGPASSWORD/PGPASSWORD_FILE`,
        error,
      );
    case '42501':
      return failed(
        `user "${pg.user}" lacks a privilege on "${database}": ${firstLine(
          error,
        )}`,
        error,
      );
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
      return failed(
        `cannot reach ${where} (${code}); check PGHOST and PGPORT`,
        error,
      );
    default:
      return failed(
        `${where}, database "${database}": ${firstLine(error)}`,
        error,
      );
  }
}

/**
 * Environment for pg_dump/pg_restore: libpq's variables from the configuration, and nothing
 * the tools must not see (the AWS credentials are left out).
 */
export function pgToolEnvironment(
  pg: PostgresConfig,
  base: Record<string, string | undefined> = process.env,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, v] of Object.entries(base)) {
    if (v === undefined) continue;
    // libpq's other variables (PGSSLMODE, PGSSLROOTCERT, ...) pass through
    if (/^(AWS_|S3_)/.test(name) || name === 'PGPASSWORD_FILE') continue;
    env[name] = v;
  }
  env.PGHOST = pg.host;
  env.PGPORT = String(pg.port);
  env.PGUSER = pg.user;
  if (pg.password !== undefined) env.PGPASSWORD = pg.password;
  // a dump must never hang waiting for a password prompt in a Job
  env.PGCONNECT_TIMEOUT = base.PGCONNECT_TIMEOUT ?? '30';
  return env;
}
