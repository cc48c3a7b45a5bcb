import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import {
  BackupHealth,
  BackupObjectives,
  formatDuration,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import Box from '@material-ui/core/Box';
import LinearProgress from '@material-ui/core/LinearProgress';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { BackupFactsLine } from './BackupFactsLine';
import { HealthStatusLabel } from '../HealthStatusLabel';
import { PgBackupTargetGate } from '../PgBackupTargetGate';
import { BackupNowButton } from './BackupNowButton';
import { FindingGroups } from './FindingGroups';
import { ScheduleLines } from './ScheduleLines';
import { pgBackupApiRef } from '../../api/PgBackupApi';

const useStyles = makeStyles(theme => ({
  bar: { height: 8, borderRadius: 4, marginTop: theme.spacing(0.5) },
  summary: { marginBottom: theme.spacing(1) },
}));

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
        health={health}
        lastVerification={value.lastVerification}
        lastDrill={value.lastDrill}
      />
      <ScheduleLines health={health} />
      <BackupNowButton entityRef={props.entityRef} onFinished={retry} />
      <FindingGroups findings={health.findings} />
    </Box>
  );
}

/** Backup health of a database entity: status, recovery point against the RPO, findings. */
export function EntityPgBackupHealthCard() {
  const { entity } = useEntity();
  return (
    <InfoCard title="Backup health">
      <PgBackupTargetGate entity={entity}>
        {(target, entityRef) => (
          <HealthCardContent
            entityRef={entityRef}
            objectives={target.objectives}
          />
        )}
      </PgBackupTargetGate>
    </InfoCard>
  );
}
