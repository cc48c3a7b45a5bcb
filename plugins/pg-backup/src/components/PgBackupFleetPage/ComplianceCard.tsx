import { InfoCard } from '@backstage/core-components';
import {
  FleetEntry,
  HealthStatus,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import Box from '@material-ui/core/Box';
import LinearProgress from '@material-ui/core/LinearProgress';
import Typography from '@material-ui/core/Typography';
import { makeStyles, useTheme } from '@material-ui/core/styles';
import useMeasure from 'react-use/esm/useMeasure';
import { Bar, BarChart, Tooltip, XAxis, YAxis } from 'recharts';
import { HealthStatusLabel } from '../HealthStatusLabel';
import { fleetCompliance } from './compliance';
import { STATUSES_WORST_FIRST } from './fleetFilter';

const useStyles = makeStyles(theme => ({
  bar: { height: 8, borderRadius: 4, marginBottom: theme.spacing(1.5) },
  legend: {
    display: 'flex',
    flexWrap: 'wrap',
    gap: theme.spacing(2),
    marginTop: theme.spacing(1),
  },
}));

/** Width drawn before the container has been measured (and where nothing measures, as in tests). */
const FALLBACK_WIDTH = 480;

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

/** The statuses as one stacked bar, worst first, with a tooltip and a legend of the counts. */
function StatusBar(props: { entries: FleetEntry[] }) {
  const classes = useStyles();
  const { palette } = useTheme();
  const [ref, { width }] = useMeasure<HTMLDivElement>();
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
  const row = Object.fromEntries(counts.map(c => [c.status, c.count]));
  return (
    <Box>
      <div
        ref={ref}
        role="img"
        aria-label={`Status: ${counts
          .map(({ status, count }) => `${count} ${status}`)
          .join(', ')}`}
      >
        <BarChart
          width={width || FALLBACK_WIDTH}
          height={32}
          data={[row]}
          layout="vertical"
          margin={{ top: 0, right: 0, bottom: 0, left: 0 }}
        >
          <XAxis
            type="number"
            hide
            domain={[0, Math.max(1, props.entries.length)]}
          />
          <YAxis type="category" hide />
          <Tooltip
            cursor={false}
            formatter={(count: number, status: string) => [
              `${count} database${count === 1 ? '' : 's'}`,
              status,
            ]}
          />
          {STATUSES_WORST_FIRST.map(status => (
            <Bar
              key={status}
              dataKey={status}
              stackId="status"
              fill={colors[status]}
              isAnimationActive={false}
            />
          ))}
        </BarChart>
      </div>
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
