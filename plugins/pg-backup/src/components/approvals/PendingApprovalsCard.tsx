import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { pgBackupApiRef } from '../../api/PgBackupApi';
import { ApprovalList } from './ApprovalList';

/**
 * Pending requests across the fleet that the user may decide. The backend lists only those
 * (the approve permission on the database, and not the user's own requests).
 */
export function PendingApprovalsCard() {
  const api = useApi(pgBackupApiRef);
  const { value, loading, error, retry } = useAsyncRetry(
    () => api.getPendingApprovals(),
    [api],
  );
  let body;
  if (error) body = <ResponseErrorPanel error={error} />;
  else if (loading && !value) body = <Progress />;
  else
    body = (
      <ApprovalList
        requests={value ?? []}
        mayDecide={() => true}
        onDecided={retry}
        emptyText="Nothing waits for your approval."
      />
    );
  return <InfoCard title="Pending approvals">{body}</InfoCard>;
}
