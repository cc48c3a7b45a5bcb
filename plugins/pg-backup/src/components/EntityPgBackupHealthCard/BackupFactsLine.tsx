import { useApi } from '@backstage/core-plugin-api';
import {
  BackupHealth,
  BackupObjectives,
  DrillFacts,
  VerificationFacts,
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
 * The last backup (the health's recovery point: the newest backup that can be restored, the
 * same one the status and the fleet name) with its size and verification, retention and
 * encryption badges, and the last drill against its cadence. Each part fails on its own, so the
 * card never loses its status.
 */
export function BackupFactsLine(props: {
  entityRef: string;
  objectives: BackupObjectives;
  health: BackupHealth;
  lastVerification?: VerificationFacts;
  lastDrill?: DrillFacts;
}) {
  const api = useApi(pgBackupApiRef);
  const storage = useAsync(
    () => api.getStoragePolicy(props.entityRef),
    [api, props.entityRef],
  );
  const retentionDays = Math.round(props.objectives.retentionMs / DAY_MS);
  const lastBackup = describeLastBackup(props.health, props.lastVerification);
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

/** "Last backup: <when> · <size> · verified", from the recovery point. */
export function describeLastBackup(
  health: BackupHealth,
  lastVerification?: VerificationFacts,
): string {
  const point = health.recoveryPoint;
  if (!point) {
    const unreadable = health.findings.find(
      f => f.code === 'fact-unavailable' && f.subject === 'backups',
    );
    return unreadable
      ? `Last backup: could not be read (${unreadable.message.replace(
          /^Could not read backup objects in S3: /,
          '',
        )})`
      : 'Last backup: none that can be restored';
  }
  let verification = 'not verified';
  if (lastVerification?.backupKey === point.key)
    verification = lastVerification.passed
      ? 'verification passed'
      : 'verification failed';
  return `Last backup: ${utcDate(point.time)} · ${formatBytes(
    point.size,
  )} · ${verification}`;
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
