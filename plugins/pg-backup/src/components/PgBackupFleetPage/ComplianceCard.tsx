import { InfoCard } from '@backstage/core-components';
import {
  FleetEntry,
  HealthStatus,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import Box from '@material-ui/core/Box';
import LinearProgress from '@material-ui/core/LinearProgress';
import Typography from '@material-ui/core/Typography';
import { makeStyles, useTheme } from '@material-ui/core/styles';
import { HealthStatusLabel } from '../HealthStatusLabel';
import { fleetCompliance } from './compliance';
import { STATUSES_WORST_FIRST } from './fleetFilter';

const useStyles = makeStyles(theme => ({
  bar: { height: 8, borderRadius: 4, marginBottom: theme.spacing(1.5) },
  statusBar: { display: 'block', width: '100%', height: 12 },
  legend: {
    display: 'flex',
    flexWrap: 'wrap',
    gap: theme.spacing(2),
    marginTop: theme.spacing(1),
  },
}));

/** One objective: how many of `total` meet it, as text and as a bar. */
function ObjectiveBar(props: { label: string; met: number; total: number }) {
  const classes = useStyles();
  const { label, met, total } = props;
  const percent = total === 0 ? 0 : Math.round((met / total) * 100);
  return (
    <>
      <Typography variant="body2">
        {label}: {met} of {total} ({percent}%)
      </Typography>
      <LinearProgress
        className={classes.bar}
        variant="determinate"
        value={percent}
        aria-label={`${met} of ${total} databases: ${label.toLowerCase()}`}
      />
    </>
  );
}

/** The statuses as one stacked bar, worst first, with a legend of the counts. */
function StatusBar(props: { entries: FleetEntry[] }) {
  const classes = useStyles();
  const { palette } = useTheme();
  const colors: Record<HealthStatus, string> = {
    critical: palette.error.main,
    unknown: palette.grey[500],
    warning: palette.warning.main,
    healthy: palette.success.main,
  };
  const counts = STATUSES_WORST_FIRST.map(status => ({
    status,
    count: props.entries.filter(entry => entry.status === status).length,
  }));
  const total = props.entries.length;
  let offset = 0;
  return (
    <Box>
      <svg
        className={classes.statusBar}
        role="img"
        aria-label={`Status: ${counts
          .map(({ status, count }) => `${count} ${status}`)
          .join(', ')}`}
        viewBox={`0 0 ${Math.max(total, 1)} 1`}
        preserveAspectRatio="none"
      >
        {counts.map(({ status, count }) => {
          const x = offset;
          offset += count;
          return (
            <rect
              key={status}
              x={x}
              width={count}
              height={1}
              fill={colors[status]}
            />
          );
        })}
      </svg>
      <Box className={classes.legend} aria-hidden="true">
        {counts.map(({ status, count }) => (
          <Typography key={status} variant="body2" component="span">
            <HealthStatusLabel status={status} /> {count}
          </Typography>
        ))}
      </Box>
    </Box>
  );
}

/** How many of the databases shown meet the RPO, are verified and have up-to-date drills. */
export function ComplianceCard(props: { entries: FleetEntry[] }) {
  const compliance = fleetCompliance(props.entries);
  return (
    <InfoCard title="Compliance">
      <ObjectiveBar
        label="Meet the RPO"
        met={compliance.meetsRpo}
        total={compliance.total}
      />
      <ObjectiveBar
        label="Verified backup"
        met={compliance.verified}
        total={compliance.total}
      />
      <ObjectiveBar
        label="Drill compliant"
        met={compliance.drillCompliant}
        total={compliance.total}
      />
      <StatusBar entries={props.entries} />
    </InfoCard>
  );
}
