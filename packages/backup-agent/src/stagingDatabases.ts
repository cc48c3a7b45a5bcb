import type { Client } from 'pg';
import { AgentError, refused } from './AgentError';
import type { RunContext } from './runBackup';

// A restore goes into a staging database first and is renamed to its target only once it is
// complete, so an interrupted restore never leaves a half-restored target; these are the
// database steps around it.

/** `<db>_restore_YYYYMMDDHHMMSS` (UTC), the default restore target. */
export function defaultTargetDatabase(database: string, at: Date): string {
  const stamp = at.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `${database}_restore_${stamp}`;
}

export async function databaseExists(
  admin: Client,
  name: string,
): Promise<boolean> {
  const result = await admin.query(
    'SELECT 1 FROM pg_database WHERE datname = $1',
    [name],
  );
  return (result.rowCount ?? 0) > 0;
}

export function refuseExisting(name: string): AgentError {
  return refused(
    `target database "${name}" already exists; set RESTORE_OVERWRITE=true to replace it, or choose another TARGET_DATABASE`,
  );
}

/**
 * Renames the restored staging database to the target. With overwrite, the current target is
 * renamed aside first (its connections terminated), then dropped once the swap succeeded; if the
 * second rename fails, the original is renamed back.
 */
export async function swapIn(
  admin: Client,
  staging: string,
  target: string,
  suffix: string,
  overwrite: boolean,
  log: RunContext['log'],
): Promise<boolean> {
  const id = (name: string) => admin.escapeIdentifier(name);
  const exists = await databaseExists(admin, target);
  if (exists && !overwrite) {
    await dropDatabase(admin, staging).catch(() => {});
    throw refuseExisting(target);
  }
  if (!exists) {
    await admin.query(`ALTER DATABASE ${id(staging)} RENAME TO ${id(target)}`);
    return false;
  }
  const aside = `${target.slice(0, 40)}__replaced_${suffix}`;
  log.info(
    `restore: RESTORE_OVERWRITE=true: terminating connections to "${target}" and swapping in the restored copy`,
  );
  await admin.query(
    `ALTER DATABASE ${id(target)} WITH ALLOW_CONNECTIONS false`,
  );
  try {
    await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [target],
    );
    await admin.query(`ALTER DATABASE ${id(target)} RENAME TO ${id(aside)}`);
  } catch (e) {
    await admin.query(
      `ALTER DATABASE ${id(target)} WITH ALLOW_CONNECTIONS true`,
    );
    await dropDatabase(admin, staging).catch(() => {});
    throw e;
  }
  try {
    await admin.query(`ALTER DATABASE ${id(staging)} RENAME TO ${id(target)}`);
  } catch (e) {
    await admin.query(`ALTER DATABASE ${id(aside)} RENAME TO ${id(target)}`);
    await admin.query(
      `ALTER DATABASE ${id(target)} WITH ALLOW_CONNECTIONS true`,
    );
    await dropDatabase(admin, staging).catch(() => {});
    throw e;
  }
  await dropDatabase(admin, aside);
  return true;
}

export async function dropDatabase(admin: Client, name: string): Promise<void> {
  await admin.query(
    'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
    [name],
  );
  await admin.query(
    `DROP DATABASE IF EXISTS ${admin.escapeIdentifier(name)} WITH (FORCE)`,
  );
}

// What pg_restore says when its input is not a readable custom-format archive.

/** The staging database a restore into `target` fills before the swap (`suffix`: 8 hex digits). */
export function stagingDatabaseName(target: string, suffix: string): string {
  return `${target.slice(0, 40)}__restoring_${suffix}`;
}

/**
 * Drops the staging databases of `target` that an interrupted restore left behind (its pod
 * killed before it could clean up): those named like ours with no session connected. A staging
 * database being filled right now has pg_restore's sessions and is kept; a plain DROP (no FORCE)
 * also keeps one that someone connects to meanwhile. Returns the names dropped.
 */
export async function dropAbandonedStagingDatabases(
  admin: Client,
  target: string,
): Promise<string[]> {
  const pattern = new RegExp(
    `^${stagingDatabaseName(target, '').replace(
      /[.*+?^${}()|[\]\\]/g,
      '\\$&',
    )}[0-9a-f]{8}$`,
  );
  const { rows } = await admin.query<{ datname: string }>(
    `SELECT d.datname FROM pg_database d
      WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)`,
  );
  const dropped: string[] = [];
  for (const { datname } of rows.filter(r => pattern.test(r.datname))) {
    try {
      await admin.query(
        `DROP DATABASE IF EXISTS ${admin.escapeIdentifier(datname)}`,
      );
      dropped.push(datname);
    } catch {
      // someone connected meanwhile: not abandoned after all
    }
  }
  return dropped;
}

export async function createDatabase(
  admin: Client,
  name: string,
): Promise<void> {
  await admin.query(
    `CREATE DATABASE ${admin.escapeIdentifier(name)} TEMPLATE template0`,
  );
}

/** Runs a step that fills the staging database; drops the staging database if it throws. */
export async function withStagingCleanup<T>(
  admin: Client,
  staging: string,
  step: () => Promise<T>,
): Promise<T> {
  try {
    return await step();
  } catch (e) {
    await dropDatabase(admin, staging).catch(() => {});
    throw e;
  }
}
