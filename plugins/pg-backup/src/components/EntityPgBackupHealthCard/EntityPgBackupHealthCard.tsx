import {
  InfoCard,
  MissingAnnotationEmptyState,
  Progress,
  ResponseErrorPanel,
  StatusError,
  StatusOK,
  StatusPending,
  StatusWarning,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  BackupHealth,
  BackupObjectives,
  HealthStatus,
  PG_BACKUP_MARKER_ANNOTATION,
  formatDuration,
  isPgBackupAvailable,
  readBackupTarget,
} from '@internal/plugin-pg-backup-common';
import Box from '@material-ui/core/Box';
import LinearProgress from '@material-ui/core/LinearProgress';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemText from '@material-ui/core/ListItemText';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { BackupFactsLine } from './BackupFactsLine';
import { BackupNowButton } from './BackupNowButton';
import { pgBackupApiRef } from '../../api/PgBackupApi';

const useStyles = makeStyles(theme => ({
  bar: { height: 8, borderRadius: 4, marginTop: theme.spacing(0.5) },
  summary: { marginBottom: theme.spacing(1) },
}));

const STATUS_LABEL: Record<HealthStatus, string> = {
  healthy: 'Healthy',
  warning: 'Warning',
  critical: 'Critical',
  unknown: 'Unknown',
};

/** The status with the icon Backstage uses for it. */
export function HealthStatusLabel(props: { status: HealthStatus }) {
  const label = STATUS_LABEL[props.status];
  switch (props.status) {
    case 'healthy':
      return <StatusOK>{label}</StatusOK>;
    case 'warning':
      return <StatusWarning>{label}</StatusWarning>;
    case 'critical':
      return <StatusError>{label}</StatusError>;
    default:
      return <StatusPending>{label}</StatusPending>;
  }
}

/** Recovery point age against the RPO, as a bar that is full at the RPO. */
function RecoveryPointBar(props: { health: BackupHealth; rpoMs: number }) {
  const classes = useStyles();
  const point = props.health.recoveryPoint;
  if (!point) {
    return (
      <Typography variant="body2">No recoverable backup found.</Typography>
    );
  }
  const share = Math.min(100, (point.ageMs / props.rpoMs) * 100);
  return (
    <Box>
      <Typography variant="body2">
        Recovery point {formatDuration(point.ageMs)} old — RPO{' '}
        {formatDuration(props.rpoMs)}
      </Typography>
      <LinearProgress
        className={classes.bar}
        variant="determinate"
        value={share}
        color={props.health.rpoMet ? 'primary' : 'secondary'}
        aria-label={`recovery point age is ${Math.round(share)}% of the RPO`}
      />
    </Box>
  );
}

/** The card's content once the entity is known to be annotated. */
function HealthCardContent(props: {
  entityRef: string;
  objectives: BackupObjectives;
}) {
  const api = useApi(pgBackupApiRef);
  const classes = useStyles();
  const { value, loading, error, retry } = useAsyncRetry(
    () => api.getHealth(props.entityRef),
    [api, props.entityRef],
  );
  if (loading && !value) return <Progress />;
  if (error) return <ResponseErrorPanel error={error} />;
  if (!value) return null;
  const { health, partial } = value;
  return (
    <Box>
      <HealthStatusLabel status={health.status} />
      <Typography className={classes.summary} variant="body1">
        {health.summary}
        {partial ? ' (some facts could not be read)' : ''}
      </Typography>
      <RecoveryPointBar health={health} rpoMs={props.objectives.rpoMs} />
      <BackupFactsLine
        entityRef={props.entityRef}
        objectives={props.objectives}
        lastDrillTime={value.lastDrillTime}
      />
      {health.nextRun && (
        <Typography variant="body2">
          Next scheduled run: {new Date(health.nextRun).toUTCString()}
        </Typography>
      )}
      <BackupNowButton entityRef={props.entityRef} onFinished={retry} />
      {health.findings.length > 0 && (
        <List dense aria-label="findings">
          {health.findings.map((finding, index) => (
            <ListItem key={`${finding.code}-${index}`} disableGutters>
              <ListItemText
                primary={finding.message}
                secondary={`${finding.severity} · ${finding.code}`}
              />
            </ListItem>
          ))}
        </List>
      )}
    </Box>
  );
}

/** Backup health of a database entity: status, recovery point against the RPO, findings. */
export function EntityPgBackupHealthCard() {
  const { entity } = useEntity();
  const target = readBackupTarget(entity);
  let content;
  if (!isPgBackupAvailable(entity)) {
    content = (
      <MissingAnnotationEmptyState annotation={PG_BACKUP_MARKER_ANNOTATION} />
    );
  } else if (!target.ok) {
    content = (
      <Typography variant="body2" role="alert">
        Invalid pg-backup annotations:{' '}
        {target.problems.map(p => p.message).join('; ')}
      </Typography>
    );
  } else {
    content = (
      <HealthCardContent
        entityRef={stringifyEntityRef(entity)}
        objectives={target.target.objectives}
      />
    );
  }
  return <InfoCard title="Backup health">{content}</InfoCard>;
}
