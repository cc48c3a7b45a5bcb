import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import {
  BackupObjectives,
  DrillRecordEntry,
  formatDuration,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import useAsync from 'react-use/esm/useAsync';
import { pgBackupApiRef } from '../../api/PgBackupApi';
import { StatusText } from '../HealthStatusLabel';
import { backupFileName, utcMinute } from '../formatting';

/** "1h 10m of 4h", flagged when over the objective the drill ran against. */
function rtoText(drill: DrillRecordEntry, objectives: BackupObjectives) {
  if (drill.measuredRtoMs === undefined) return 'not measured';
  const objective = drill.rtoObjectiveMs ?? objectives.rtoMs;
  return `${formatDuration(drill.measuredRtoMs)} of ${formatDuration(
    objective,
  )}${drill.measuredRtoMs > objective ? ' (exceeded)' : ''}`;
}

/** Every recorded recovery drill: when, outcome, measured RTO, backup, checklist, lessons. */
export function DrillHistoryCard(props: {
  entityRef: string;
  objectives: BackupObjectives;
}) {
  const api = useApi(pgBackupApiRef);
  const { value, loading, error } = useAsync(
    () => api.getDrills(props.entityRef),
    [api, props.entityRef],
  );
  let body;
  if (error) body = <ResponseErrorPanel error={error} />;
  else if (loading || !value) body = <Progress />;
  else if (value.length === 0)
    body = (
      <Typography variant="body2">
        No drill recorded yet. Run the recovery-drill template to restore a
        backup, verify it and measure the recovery time.
      </Typography>
    );
  else
    body = (
      <Table size="small" aria-label="drills">
        <TableHead>
          <TableRow>
            <TableCell>Performed (UTC)</TableCell>
            <TableCell>Outcome</TableCell>
            <TableCell>Measured RTO</TableCell>
            <TableCell>Backup</TableCell>
            <TableCell>Checklist</TableCell>
            <TableCell>By</TableCell>
            <TableCell>Lessons learned</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {value.map(drill => (
            <TableRow key={drill.id}>
              <TableCell>{utcMinute(drill.performedAt)}</TableCell>
              <TableCell>
                {drill.passed ? (
                  <StatusText kind="ok">passed</StatusText>
                ) : (
                  <StatusText kind="error">failed</StatusText>
                )}
              </TableCell>
              <TableCell>{rtoText(drill, props.objectives)}</TableCell>
              <TableCell title={drill.backupKey}>
                {(drill.backupKey && backupFileName(drill.backupKey)) ?? '—'}
              </TableCell>
              <TableCell>
                {drill.checklist
                  ? `${drill.checklist.filter(i => i.done).length} of ${
                      drill.checklist.length
                    } done`
                  : '—'}
              </TableCell>
              <TableCell>{drill.recordedBy ?? '—'}</TableCell>
              <TableCell>{drill.notes ?? ''}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    );
  return <InfoCard title="Recovery drills">{body}</InfoCard>;
}
