import { useApi } from '@backstage/core-plugin-api';
import {
  BackupObjectives,
  DrillFacts,
  formatBytes,
  formatDuration,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import Typography from '@material-ui/core/Typography';
import useAsync from 'react-use/esm/useAsync';
import { pgBackupApiRef } from '../../api/PgBackupApi';
import { utcDate } from '../formatting';

const DAY_MS = 86_400_000;

/**
 * The last backup with its size and verification, retention and encryption badges, and the
 * last drill against its cadence. Each part fails on its own, so the card never loses its status.
 */
export function BackupFactsLine(props: {
  entityRef: string;
  objectives: BackupObjectives;
  lastDrill?: DrillFacts;
  /** Changes when the health was re-read (e.g. after "Back up now"): the backups are re-read too. */
  refreshKey?: string;
}) {
  const api = useApi(pgBackupApiRef);
  const backups = useAsync(
    () => api.getBackups(props.entityRef, { limit: 1 }),
    [api, props.entityRef, props.refreshKey],
  );
  const storage = useAsync(
    () => api.getStoragePolicy(props.entityRef),
    [api, props.entityRef],
  );
  const last = backups.value?.items[0];
  const retentionDays = Math.round(props.objectives.retentionMs / DAY_MS);
  let lastBackup = 'Last backup: loading…';
  if (backups.error)
    lastBackup = `Last backup: could not be read (${backups.error.message})`;
  else if (backups.value && !last) lastBackup = 'Last backup: none found';
  else if (last)
    lastBackup = `Last backup: ${utcDate(last.takenAt)} · ${formatBytes(
      last.size,
    )} · ${
      last.complete
        ? `verification ${last.verification}`
        : 'incomplete (no manifest)'
    }`;
  const drill = props.lastDrill
    ? describeDrill(props.lastDrill, props.objectives)
    : 'Last drill: none recorded';
  const policy = storage.value;
  return (
    <Box mt={1}>
      <Typography variant="body2">{lastBackup}</Typography>
      <Typography variant="body2">{drill}</Typography>
      {policy && (
        <Box mt={0.5} aria-label="storage policy">
          <Chip
            size="small"
            label={
              policy.expirationDays === undefined
                ? `No retention rule (objective ${retentionDays}d)`
                : `Retention ${policy.expirationDays}d (objective ${retentionDays}d)`
            }
            color={
              policy.expirationDays === retentionDays ? 'primary' : 'secondary'
            }
          />{' '}
          <Chip
            size="small"
            label={
              policy.defaultEncryption
                ? `Encrypted (${policy.defaultEncryption})`
                : 'Not encrypted by default'
            }
            color={policy.defaultEncryption ? 'primary' : 'secondary'}
          />
        </Box>
      )}
      {storage.error && (
        <Typography variant="body2">
          Storage policy could not be read ({storage.error.message})
        </Typography>
      )}
      <Typography variant="caption">
        Objectives: RPO {formatDuration(props.objectives.rpoMs)} · RTO{' '}
        {formatDuration(props.objectives.rtoMs)}
      </Typography>
    </Box>
  );
}

/** "Last drill: <when> · passed · RTO 1h 10m of 4h · next due <when>". */
export function describeDrill(
  drill: DrillFacts,
  objectives: BackupObjectives,
): string {
  const due = Date.parse(drill.performedAt) + objectives.drillIntervalMs;
  let rto = 'RTO not measured';
  if (drill.measuredRtoMs !== undefined)
    rto = `RTO ${formatDuration(drill.measuredRtoMs)} of ${formatDuration(
      objectives.rtoMs,
    )}${drill.measuredRtoMs > objectives.rtoMs ? ' (exceeded)' : ''}`;
  return `Last drill: ${utcDate(drill.performedAt)} · ${
    drill.passed ? 'passed' : 'failed'
  } · ${rto} · next due ${utcDate(new Date(due).toISOString())}`;
}
