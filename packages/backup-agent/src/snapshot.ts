import type { Client } from 'pg';

/** Facts about a database that a restore must reproduce exactly. */
export interface DatabaseFacts {
  /** `server_version` of the server, e.g. `15.20 (Debian 15.20-0+deb12u1)`. */
  serverVersion: string;
  /** User tables of all non-system schemas, as `schema.table`, sorted. */
  tables: string[];
  /** Exact row count per table (`SELECT count(*)`), keyed `schema.table`. */
  rowCounts: Record<string, number>;
  /** Latest successfully applied Flyway version, or null without Flyway. */
  flywayVersion: string | null;
}

/** Facts read inside a snapshot that pg_dump can share. */
export interface ExportedSnapshot {
  /** The id for `pg_dump --snapshot`. */
  snapshotId: string;
  facts: DatabaseFacts;
}

const TABLES_SQL = `
  SELECT n.nspname AS schema, c.relname AS table
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p')
    AND NOT c.relispartition
    AND n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND n.nspname NOT LIKE 'pg\\_toast%'
    AND n.nspname NOT LIKE 'pg\\_temp\\_%'
    AND NOT EXISTS (
      SELECT 1 FROM pg_catalog.pg_depend d
      WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
    )
  ORDER BY 1, 2`;

// Repeatable migrations have no version; the latest versioned one is the schema's version.
const FLYWAY_SQL = `
  SELECT version FROM flyway_schema_history
  WHERE success AND version IS NOT NULL
  ORDER BY installed_rank DESC LIMIT 1`;

/**
 * Reads the facts of the database `client` is connected to, inside its current transaction:
 * run it in a REPEATABLE READ transaction and every count comes from one snapshot.
 * Partitions are counted through their partitioned parent; extension-owned tables are skipped.
 */
export async function readDatabaseFacts(
  client: Client,
): Promise<DatabaseFacts> {
  const version = await client.query<{ v: string }>(
    "SELECT current_setting('server_version') AS v",
  );
  const tableRows = await client.query<{ schema: string; table: string }>(
    TABLES_SQL,
  );
  const tables: string[] = [];
  const rowCounts: Record<string, number> = {};
  for (const { schema, table } of tableRows.rows) {
    const name = `${schema}.${table}`;
    const count = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${client.escapeIdentifier(
        schema,
      )}.${client.escapeIdentifier(table)}`,
    );
    tables.push(name);
    rowCounts[name] = Number(count.rows[0].n);
  }
  const hasFlyway = await client.query<{ present: boolean }>(
    "SELECT to_regclass('flyway_schema_history') IS NOT NULL AS present",
  );
  let flywayVersion: string | null = null;
  if (hasFlyway.rows[0].present) {
    const flyway = await client.query<{ version: string | null }>(FLYWAY_SQL);
    flywayVersion = flyway.rows[0]?.version ?? null;
  }
  return { serverVersion: version.rows[0].v, tables, rowCounts, flywayVersion };
}

/**
 * Starts a REPEATABLE READ, READ ONLY transaction on `client` and exports its snapshot for
 * `pg_dump --snapshot` and {@link readFactsInSnapshot}. The caller keeps the transaction open
 * until pg_dump has finished (and the facts are read), then ends it with {@link releaseSnapshot}.
 */
export async function beginExportedSnapshot(client: Client): Promise<string> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
  try {
    const exported = await client.query<{ id: string }>(
      'SELECT pg_export_snapshot() AS id',
    );
    return exported.rows[0].id;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  }
}

/**
 * Reads the database's facts on a second connection that imports the exported snapshot
 * (`SET TRANSACTION SNAPSHOT`), so they describe exactly what pg_dump (which imports the same
 * snapshot) writes, while pg_dump already runs: the exact row counts cost no extra wall time.
 * The exporting transaction must stay open until this has returned.
 */
export async function readFactsInSnapshot(
  client: Client,
  snapshotId: string,
): Promise<DatabaseFacts> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
  try {
    await client.query(
      `SET TRANSACTION SNAPSHOT ${client.escapeLiteral(snapshotId)}`,
    );
    const facts = await readDatabaseFacts(client);
    await client.query('COMMIT');
    return facts;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  }
}

/**
 * Starts a REPEATABLE READ, READ ONLY transaction on `client`, exports its snapshot for
 * `pg_dump --snapshot` and reads the database's facts in that same snapshot, so the manifest
 * describes exactly what the dump contains. The caller keeps the transaction open until pg_dump
 * has finished, then ends it with {@link releaseSnapshot}. (The backup itself reads the facts
 * concurrently with pg_dump, see {@link readFactsInSnapshot}.)
 */
export async function exportSnapshot(
  client: Client,
): Promise<ExportedSnapshot> {
  const snapshotId = await beginExportedSnapshot(client);
  try {
    const facts = await readDatabaseFacts(client);
    return { snapshotId, facts };
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  }
}

/** Ends the transaction that holds an exported snapshot. */
export async function releaseSnapshot(client: Client): Promise<void> {
  await client.query('COMMIT');
}
