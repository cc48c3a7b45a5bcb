import {
  InfoCard,
  Link,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  BackupEntry,
  formatBytes,
  pgBackupRestorePermission,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { useCallback, useEffect, useState } from 'react';
import { pgBackupApiRef } from '../../api/PgBackupApi';
import { SizeTrend, suspiciousBackups } from './SizeTrend';
import { templateLink } from './templateLinks';
import { backupFileName } from '../formatting';

/** Backups per page; "Load older" fetches the next page. */
export const BACKUPS_PAGE_SIZE = 30;

type State = {
  items: BackupEntry[];
  nextCursor?: string;
  loading: boolean;
  error?: Error;
};

/** The database's backups, newest first, with their size trend and verify/restore actions. */
export function BackupsCard(props: { entityRef: string }) {
  const api = useApi(pgBackupApiRef);
  const { entityRef } = props;
  const restore = usePermission({
    permission: pgBackupRestorePermission,
    resourceRef: entityRef,
  });
  const [state, setState] = useState<State>({ items: [], loading: true });

  const load = useCallback(
    async (cursor?: string) => {
      setState(s => ({ ...s, loading: true, error: undefined }));
      try {
        const page = await api.getBackups(entityRef, {
          limit: BACKUPS_PAGE_SIZE,
          cursor,
        });
        setState(s => ({
          items: cursor ? [...s.items, ...page.items] : page.items,
          nextCursor: page.nextCursor,
          loading: false,
        }));
      } catch (error) {
        setState(s => ({ ...s, loading: false, error: error as Error }));
      }
    },
    [api, entityRef],
  );
  useEffect(() => {
    load();
  }, [load]);

  const suspicious = suspiciousBackups(
    state.items.filter(b => b.role === 'backup'),
  );
  let body;
  if (state.error && state.items.length === 0) {
    body = <ResponseErrorPanel error={state.error} />;
  } else if (state.loading && state.items.length === 0) {
    body = <Progress />;
  } else if (state.items.length === 0) {
    body = (
      <Typography variant="body2">
        No backups under this database's prefix yet.
      </Typography>
    );
  } else {
    body = (
      <>
        <SizeTrend backups={state.items} />
        <Table size="small" aria-label="backups">
          <TableHead>
            <TableRow>
              <TableCell>Taken (UTC)</TableCell>
              <TableCell>Backup</TableCell>
              <TableCell align="right">Size</TableCell>
              <TableCell>SHA-256</TableCell>
              <TableCell>Encryption</TableCell>
              <TableCell>Verification</TableCell>
              <TableCell>Actions</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {state.items.map(backup => (
              <BackupRow
                key={backup.key}
                backup={backup}
                entityRef={entityRef}
                suspicious={suspicious.has(backup.key)}
                mayRestore={restore.allowed}
              />
            ))}
          </TableBody>
        </Table>
        {state.error && <ResponseErrorPanel error={state.error} />}
        {state.nextCursor && (
          <Box mt={1}>
            <Button
              variant="outlined"
              disabled={state.loading}
              onClick={() => load(state.nextCursor)}
            >
              Load older backups
            </Button>
          </Box>
        )}
      </>
    );
  }
  return <InfoCard title="Backups">{body}</InfoCard>;
}

function BackupRow(props: {
  backup: BackupEntry;
  entityRef: string;
  suspicious: boolean;
  mayRestore: boolean;
}) {
  const { backup, entityRef } = props;
  let verification: JSX.Element;
  if (!backup.complete) {
    verification = (
      <Chip
        size="small"
        label="not verified: no manifest (interrupted or made outside pg-backup)"
        title="Verify restores it into a scratch database and, when it restores, writes the manifest pg-backup would have written: from then on it counts as a recovery point"
      />
    );
  } else {
    verification = (
      <Chip
        size="small"
        label={backup.verification}
        color={backup.verification === 'failed' ? 'secondary' : 'default'}
        variant={backup.verification === 'passed' ? 'default' : 'outlined'}
      />
    );
  }
  return (
    <TableRow>
      <TableCell>
        {new Date(backup.takenAt).toISOString().slice(0, 16)}
      </TableCell>
      <TableCell title={backup.key}>
        {backupFileName(backup.key)}
        {backup.role === 'checkpoint' && ' (checkpoint)'}
      </TableCell>
      <TableCell align="right">
        {formatBytes(backup.size)}
        {props.suspicious && (
          <Typography variant="caption" color="error" display="block">
            unusually small
          </Typography>
        )}
      </TableCell>
      <TableCell title={backup.sha256}>
        <code>{backup.sha256 ? `${backup.sha256.slice(0, 12)}…` : '—'}</code>
      </TableCell>
      <TableCell>{backup.encryption ?? '—'}</TableCell>
      <TableCell>{verification}</TableCell>
      <TableCell>
        {!backup.complete && (
          <Link to={templateLink('verify', entityRef, backup.key)}>
            Verify to adopt
          </Link>
        )}
        {backup.complete && (
          <>
            <Link to={templateLink('verify', entityRef, backup.key)}>
              Verify
            </Link>
            {props.mayRestore && (
              <>
                {' · '}
                <Link to={templateLink('restore', entityRef, backup.key)}>
                  Restore
                </Link>
              </>
            )}
          </>
        )}
      </TableCell>
    </TableRow>
  );
}
