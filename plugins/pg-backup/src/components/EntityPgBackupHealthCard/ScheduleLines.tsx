import {
  BackupHealth,
  ScheduleState,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import Typography from '@material-ui/core/Typography';

/** "Next backup: <when>" per annotated CronJob, or why it will not run. */
export function ScheduleLines(props: { health: BackupHealth }) {
  const { schedules, nextRun } = props.health;
  if (!schedules) {
    return nextRun ? (
      <Typography variant="body2">
        Next scheduled run: {new Date(nextRun).toUTCString()}
      </Typography>
    ) : null;
  }
  return (
    <>
      {schedules.map(s => (
        <Typography variant="body2" key={`${s.role}-${s.cronJob}`}>
          Next {s.role}: {describeSchedule(s)}
        </Typography>
      ))}
    </>
  );
}

function describeSchedule(s: ScheduleState): string {
  switch (s.state) {
    case 'scheduled':
      return s.nextRun ? new Date(s.nextRun).toUTCString() : 'not scheduled';
    case 'suspended':
      return `suspended (CronJob ${s.cronJob})`;
    case 'missing':
      return `none (CronJob ${s.cronJob} does not exist)`;
    default:
      return `unknown (the schedule of CronJob ${s.cronJob} cannot be read)`;
  }
}
