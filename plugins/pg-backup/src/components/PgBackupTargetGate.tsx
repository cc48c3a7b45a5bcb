import { MissingAnnotationEmptyState } from '@backstage/core-components';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  BackupTarget,
  PG_BACKUP_MARKER_ANNOTATION,
  isPgBackupAvailable,
  readBackupTarget,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import Typography from '@material-ui/core/Typography';
import { ReactNode } from 'react';

/**
 * Renders `children` with the entity's backup target, or says why there is none: the
 * annotations are missing (with the one to add) or invalid (naming each bad annotation).
 */
export function PgBackupTargetGate(props: {
  entity: Entity;
  children: (target: BackupTarget, entityRef: string) => ReactNode;
}) {
  if (!isPgBackupAvailable(props.entity)) {
    return (
      <MissingAnnotationEmptyState annotation={PG_BACKUP_MARKER_ANNOTATION} />
    );
  }
  const result = readBackupTarget(props.entity);
  if (!result.ok) {
    return (
      <Typography variant="body2" role="alert">
        Invalid pg-backup annotations:{' '}
        {result.problems.map(p => p.message).join('; ')}
      </Typography>
    );
  }
  return <>{props.children(result.target, stringifyEntityRef(props.entity))}</>;
}
