import { InputError } from '@backstage/errors';
import {
  BackupTarget,
  RestoreTarget,
  checkDatabaseName,
  checkDnsLabel,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import { shortOperationId } from './buildOperationJobs';

const pad = (n: number) => String(n).padStart(2, '0');

/** The default target of a restore: `<database>_restored_<yyyymmddhhmm>` (UTC), a new database. */
export function defaultRestoreTarget(
  database: string,
  at: Date,
): RestoreTarget {
  const stamp = `${at.getUTCFullYear()}${pad(at.getUTCMonth() + 1)}${pad(
    at.getUTCDate(),
  )}${pad(at.getUTCHours())}${pad(at.getUTCMinutes())}`;
  const suffix = `_restored_${stamp}`;
  return {
    kind: 'new-database',
    database: `${database.slice(0, 63 - suffix.length)}${suffix}`,
  };
}

/** The scratch database a verification or drill restores into: `<database>_verify_<id>`. */
export function scratchDatabaseName(
  database: string,
  operationId: string,
): string {
  const suffix = `_verify_${shortOperationId(operationId)}`;
  return `${database.slice(0, 63 - suffix.length)}${suffix}`;
}

/** Checks a restore target against the database it restores; throws an InputError naming the field. */
export function checkRestoreTarget(target: RestoreTarget, db: BackupTarget) {
  const nameProblem = checkDatabaseName(target.database);
  if (nameProblem) throw new InputError(`target.database: ${nameProblem}`);
  if (target.kind === 'live') {
    if (target.database !== db.database)
      throw new InputError(
        `target.database "${target.database}" is not the live database of ${db.entityRef}; a live restore goes over "${db.database}"`,
      );
    if (target.namespace || target.cluster)
      throw new InputError(
        'a live restore goes over the database itself; target.namespace and target.cluster are for other-namespace',
      );
    return;
  }
  if (target.kind === 'new-database') {
    if (target.database === db.database)
      throw new InputError(
        `target.database "${target.database}" is the live database; restore over it with target kind live, or choose a new name`,
      );
    if (target.namespace || target.cluster)
      throw new InputError(
        'a new-database restore stays on the same server; target.namespace and target.cluster are for other-namespace',
      );
    return;
  }
  if (!target.namespace)
    throw new InputError(
      'target.namespace is required for an other-namespace restore',
    );
  const namespaceProblem = checkDnsLabel(target.namespace);
  if (namespaceProblem)
    throw new InputError(`target.namespace: ${namespaceProblem}`);
  if (
    target.namespace === db.namespace &&
    (target.cluster ?? db.cluster) === db.cluster
  )
    throw new InputError(
      `target.namespace "${target.namespace}" is the database's own namespace; use target kind new-database or live`,
    );
}
