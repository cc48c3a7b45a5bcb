import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Client } from 'pg';

/** The PostgreSQL server the tests use (trust auth). */
export const PG = {
  host: process.env.TEST_PGHOST ?? '127.0.0.1',
  port: Number(process.env.TEST_PGPORT ?? 5432),
  user: process.env.TEST_PGUSER ?? 'postgres',
};

/** A unique database name for one test. */
export function uniqueDatabaseName(label: string): string {
  return `agent_${label}_${randomBytes(4).toString('hex')}`;
}

/** Runs SQL statements against a database (`postgres` by default). */
export async function sql(
  statements: string,
  database = 'postgres',
): Promise<Array<Record<string, unknown>>> {
  const client = new Client({ ...PG, database });
  await client.connect();
  try {
    const result = await client.query(statements);
    const last = Array.isArray(result) ? result[result.length - 1] : result;
    return last.rows;
  } finally {
    await client.end();
  }
}

/** Whether a database exists. */
export async function databaseExists(name: string): Promise<boolean> {
  const client = new Client({ ...PG, database: 'postgres' });
  await client.connect();
  try {
    const r = await client.query(
      'SELECT 1 FROM pg_database WHERE datname = $1',
      [name],
    );
    return r.rowCount === 1;
  } finally {
    await client.end();
  }
}

/** Drops databases (forcefully), ignoring missing ones. */
export async function dropDatabases(names: string[]): Promise<void> {
  for (const name of names) {
    await sql(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }
}

/** Creates a small database: 3 tables incl. flyway_schema_history, in two schemas. */
export async function createSmallDatabase(name: string): Promise<void> {
  await sql(`CREATE DATABASE "${name}"`);
  await sql(
    `CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL);
     INSERT INTO customers SELECT g, 'customer ' || g FROM generate_series(1, 250) g;
     CREATE SCHEMA billing;
     CREATE TABLE billing.invoices (id serial PRIMARY KEY, customer_id int REFERENCES customers(id), amount numeric);
     INSERT INTO billing.invoices (customer_id, amount) SELECT (g % 250) + 1, g * 1.5 FROM generate_series(1, 1000) g;
     CREATE TABLE flyway_schema_history (installed_rank int PRIMARY KEY, version text, description text, success boolean NOT NULL);
     INSERT INTO flyway_schema_history VALUES (1, '1', 'init', true), (2, '2', 'billing', true), (3, '3', 'broken', false);`,
    name,
  );
}

/** The outcome of one CLI run. */
export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const PACKAGE_DIR = path.resolve(__dirname, '../..');

/**
 * Runs the agent CLI as a child process, as a Job would: `node -r sucrase/register/ts src/cli.ts`.
 * `onStdout` sees output as it arrives (and may signal the child).
 */
export function runCli(
  args: string[],
  env: Record<string, string | undefined>,
  onStdout?: (text: string, child: ReturnType<typeof spawn>) => void,
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['-r', 'sucrase/register/ts', 'src/cli.ts', ...args],
      {
        cwd: PACKAGE_DIR,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          NODE_OPTIONS: '--no-deprecation',
          ...env,
        } as NodeJS.ProcessEnv,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', chunk => {
      stdout += chunk.toString();
      onStdout?.(stdout, child);
    });
    child.stderr.on('data', chunk => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code, signal) =>
      resolve({ code, signal, stdout, stderr }),
    );
  });
}
