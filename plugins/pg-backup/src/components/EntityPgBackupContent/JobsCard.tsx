import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  CronJobSummary,
  Fact,
  JobSummary,
  describeSchedule,
  formatDuration,
  pgBackupLogsReadPermission,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import useInterval from 'react-use/esm/useInterval';
import { pgBackupApiRef } from '../../api/PgBackupApi';
import { StatusText } from '../HealthStatusLabel';
import { JobLogDialog } from './JobLogDialog';
import { utcMinute } from '../formatting';
import { WordSafeTable } from '../WordSafeTable';

/** How often the Jobs are re-read while one is running. */
export const JOBS_REFRESH_MS = 5000;

const at = (iso?: string) => (iso ? utcMinute(iso) : '—');

/** The database's CronJobs with their schedules, and its Job history with logs. */
export function JobsCard(props: { entityRef: string }) {
  const api = useApi(pgBackupApiRef);
  const { value, loading, error, retry } = useAsyncRetry(
    () => api.getJobs(props.entityRef),
    [api, props.entityRef],
  );
  const [logsOf, setLogsOf] = useState<JobSummary>();
  const logsPermission = usePermission({
    permission: pgBackupLogsReadPermission,
    resourceRef: props.entityRef,
  });
  const running =
    value?.jobs.known && value.jobs.value.some(j => j.state === 'running');
  useInterval(retry, running ? JOBS_REFRESH_MS : null);

  let body;
  if (error) body = <ResponseErrorPanel error={error} />;
  else if (loading && !value) body = <Progress />;
  else if (value)
    body = (
      <>
        <Typography variant="h6" component="h3">
          Schedules
        </Typography>
        <Known fact={value.cronJobs} what="CronJobs">
          {cronJobs => <CronJobsTable cronJobs={cronJobs} />}
        </Known>
        <Box mt={2}>
          <Typography variant="h6" component="h3">
            History
          </Typography>
          <Known fact={value.jobs} what="Jobs">
            {jobs => (
              <JobsTable
                jobs={jobs}
                onLogs={logsPermission.allowed ? setLogsOf : undefined}
              />
            )}
          </Known>
        </Box>
      </>
    );
  return (
    <InfoCard title="Jobs">
      {body}
      {logsOf && (
        <JobLogDialog
          entityRef={props.entityRef}
          job={logsOf}
          onClose={() => setLogsOf(undefined)}
        />
      )}
    </InfoCard>
  );
}

function Known<T>(props: {
  fact: Fact<T>;
  what: string;
  children: (value: T) => JSX.Element;
}) {
  if (!props.fact.known)
    return (
      <Typography variant="body2" role="alert">
        {props.what} could not be read: {props.fact.reason}
      </Typography>
    );
  return props.children(props.fact.value);
}

function CronJobsTable(props: { cronJobs: CronJobSummary[] }) {
  if (props.cronJobs.length === 0)
    return (
      <Typography variant="body2">
        None of the annotated CronJobs exists.
      </Typography>
    );
  return (
    <WordSafeTable aria-label="CronJobs">
      <TableHead>
        <TableRow>
          <TableCell>CronJob</TableCell>
          <TableCell>Schedule</TableCell>
          <TableCell>Last run (UTC)</TableCell>
          <TableCell>Last success (UTC)</TableCell>
          <TableCell>Next run (UTC)</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {props.cronJobs.map(c => (
          <TableRow key={c.name}>
            <TableCell>
              {c.name} ({c.role})
            </TableCell>
            <TableCell title={c.schedule}>
              {describeSchedule(c.schedule, c.timeZone)}
              {c.suspend && ' — suspended'}
            </TableCell>
            <TableCell>{at(c.lastScheduleTime)}</TableCell>
            <TableCell>{at(c.lastSuccessfulTime)}</TableCell>
            <TableCell>{c.suspend ? '—' : at(c.nextRun)}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </WordSafeTable>
  );
}

function JobStateLabel(props: { state: JobSummary['state'] }) {
  const kind = {
    succeeded: 'ok',
    failed: 'error',
    running: 'running',
  } as const;
  return <StatusText kind={kind[props.state]}>{props.state}</StatusText>;
}

/** Why the logs column is empty for someone without pg-backup.logs.read. */
export const LOGS_NOT_ALLOWED =
  'Job logs need pg-backup.logs.read (owners, approvers and the platform team)';

function JobsTable(props: {
  jobs: JobSummary[];
  /** Absent when the user may not read logs. */
  onLogs?: (job: JobSummary) => void;
}) {
  const { onLogs } = props;
  if (props.jobs.length === 0)
    return <Typography variant="body2">No Jobs in the cluster.</Typography>;
  return (
    <WordSafeTable aria-label="Jobs">
      <TableHead>
        <TableRow>
          <TableCell>Job</TableCell>
          <TableCell>Status</TableCell>
          <TableCell>Started (UTC)</TableCell>
          <TableCell>Duration</TableCell>
          <TableCell>Failure</TableCell>
          <TableCell>Logs</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {props.jobs.map(job => (
          <TableRow key={job.name}>
            <TableCell>
              {job.name}
              {job.manual && ' (manual)'}
            </TableCell>
            <TableCell>
              <JobStateLabel state={job.state} />
            </TableCell>
            <TableCell>{at(job.startTime)}</TableCell>
            <TableCell>
              {job.durationMs === undefined
                ? '—'
                : formatDuration(job.durationMs)}
            </TableCell>
            <TableCell>
              {job.failure && (
                <>
                  <Typography variant="body2">{job.failure.kind}</Typography>
                  <Typography variant="caption">{job.failure.hint}</Typography>
                </>
              )}
            </TableCell>
            <TableCell>
              {onLogs ? (
                <Button
                  size="small"
                  variant="outlined"
                  onClick={() => onLogs(job)}
                  aria-label={`Logs of ${job.name}`}
                >
                  Logs
                </Button>
              ) : (
                <Typography variant="caption" title={LOGS_NOT_ALLOWED}>
                  not allowed
                </Typography>
              )}
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </WordSafeTable>
  );
}
