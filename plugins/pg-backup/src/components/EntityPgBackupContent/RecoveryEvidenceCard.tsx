import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { BackupObjectives } from '@pg-backup/backstage-plugin-pg-backup-common';
import Typography from '@material-ui/core/Typography';
import useAsync from 'react-use/esm/useAsync';
import { pgBackupApiRef } from '../../api/PgBackupApi';
import { describeDrill } from '../EntityPgBackupHealthCard/BackupFactsLine';

/** The latest verification and recovery drill: the evidence that the backups restore. */
export function RecoveryEvidenceCard(props: {
  entityRef: string;
  objectives: BackupObjectives;
}) {
  const api = useApi(pgBackupApiRef);
  const { value, loading, error } = useAsync(
    () => api.getHealth(props.entityRef),
    [api, props.entityRef],
  );
  let body;
  if (error) body = <ResponseErrorPanel error={error} />;
  else if (loading || !value) body = <Progress />;
  else {
    const verification = value.lastVerification;
    body = (
      <>
        <Typography variant="body2">
          {verification
            ? `Last verification: ${new Date(
                verification.verifiedAt,
              ).toUTCString()} · ${
                verification.passed ? 'passed' : 'failed'
              } · ${verification.backupKey}${
                verification.summary ? ` · ${verification.summary}` : ''
              }`
            : 'Last verification: none recorded'}
        </Typography>
        <Typography variant="body2">
          {value.lastDrill
            ? describeDrill(value.lastDrill, props.objectives)
            : 'Last drill: none recorded'}
        </Typography>
      </>
    );
  }
  return <InfoCard title="Recovery evidence">{body}</InfoCard>;
}
