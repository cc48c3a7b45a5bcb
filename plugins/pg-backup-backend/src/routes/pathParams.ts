import { stringifyEntityRef } from '@backstage/catalog-model';
import { NotFoundError } from '@backstage/errors';
import { shownValue } from '@pg-backup/backstage-plugin-pg-backup-common';
import { Request } from 'express';
import { EntityTargets } from '../catalog/EntityTargets';

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The entity ref of `/entities/:kind/:namespace/:name/...` (400 when it is not valid). */
export function entityRefOf(req: Request): string {
  return stringifyEntityRef(
    EntityTargets.parseRef(
      req.params.kind,
      req.params.namespace,
      req.params.name,
    ),
  );
}

/** An operation's or approval's id from the path: anything but a UUID does not exist (404). */
export function checkedId(id: string, what: 'operation' | 'approval'): string {
  if (!ID.test(id))
    throw new NotFoundError(`${what} ${shownValue(id)} does not exist`);
  return id;
}

/** The pattern of operation and approval ids, for request bodies naming one. */
export const ID_PATTERN = ID;
