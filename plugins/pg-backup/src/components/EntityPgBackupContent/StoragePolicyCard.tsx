import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import {
  BackupObjectives,
  StoragePolicy,
  formatBytes,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import useAsync from 'react-use/esm/useAsync';
import { pgBackupApiRef } from '../../api/PgBackupApi';
import { StatusText } from '../HealthStatusLabel';
import { WordSafeTable } from '../WordSafeTable';

const DAY_MS = 86_400_000;

/** One line of the policy: a check mark, warning or error with the words. */
function Check(props: { level: 'ok' | 'warning' | 'error'; text: string }) {
  return (
    <Typography variant="body2" component="div">
      <StatusText kind={props.level}>{props.text}</StatusText>
    </Typography>
  );
}

/** What the bucket does with the backups, against the database's retention objective. */
export function StoragePolicyCard(props: {
  entityRef: string;
  objectives: BackupObjectives;
}) {
  const api = useApi(pgBackupApiRef);
  const { value, loading, error } = useAsync(
    () => api.getStoragePolicy(props.entityRef),
    [api, props.entityRef],
  );
  let body;
  if (error) body = <ResponseErrorPanel error={error} />;
  else if (loading || !value) body = <Progress />;
  else body = <PolicyBody policy={value} objectives={props.objectives} />;
  return <InfoCard title="Storage policy">{body}</InfoCard>;
}

function PolicyBody(props: {
  policy: StoragePolicy;
  objectives: BackupObjectives;
}) {
  const { policy } = props;
  const objectiveDays = Math.round(props.objectives.retentionMs / DAY_MS);
  let retention: JSX.Element;
  if (policy.expirationDays === undefined)
    retention = (
      <Check
        level="error"
        text={`No lifecycle rule expires ${policy.prefix}; objective ${objectiveDays} days`}
      />
    );
  else
    retention = (
      <Check
        level={policy.expirationDays === objectiveDays ? 'ok' : 'warning'}
        text={`Backups expire after ${policy.expirationDays} days; objective ${objectiveDays} days`}
      />
    );
  return (
    <>
      <Typography variant="body2">
        s3://{policy.bucket}/{policy.prefix}
      </Typography>
      {retention}
      <Check
        level={policy.defaultEncryption ? 'ok' : 'error'}
        text={
          policy.defaultEncryption
            ? `Default encryption ${policy.defaultEncryption}`
            : 'No default encryption'
        }
      />
      <Check
        level={policy.versioning === 'Enabled' ? 'ok' : 'warning'}
        text={`Versioning ${policy.versioning.toLowerCase()}`}
      />
      <Check
        level={policy.accessLogging ? 'ok' : 'warning'}
        text={`Access logging ${policy.accessLogging ? 'on' : 'off'}`}
      />
      <Typography variant="body2">
        {policy.objectCount} objects, {formatBytes(policy.totalBytes)} in the
        last {policy.windowDays} days
      </Typography>
      {policy.lifecycleRules.length > 0 && (
        <WordSafeTable aria-label="lifecycle rules">
          <TableHead>
            <TableRow>
              <TableCell>Rule</TableCell>
              <TableCell>Prefix</TableCell>
              <TableCell>Enabled</TableCell>
              <TableCell>Expires after</TableCell>
              <TableCell>Covers the backups</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {policy.lifecycleRules.map((rule, index) => (
              <TableRow key={rule.id ?? index}>
                <TableCell>{rule.id ?? '—'}</TableCell>
                <TableCell>{rule.prefix || '(whole bucket)'}</TableCell>
                <TableCell>{rule.enabled ? 'yes' : 'no'}</TableCell>
                <TableCell>
                  {rule.expirationDays === undefined
                    ? '—'
                    : `${rule.expirationDays} days`}
                </TableCell>
                <TableCell>{rule.coversBackups ? 'yes' : 'no'}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </WordSafeTable>
      )}
    </>
  );
}
