import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import { pgBackupApprovePermission } from '@pg-backup/backstage-plugin-pg-backup-common';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { pgBackupApiRef } from '../../api/PgBackupApi';
import { ApprovalList } from './ApprovalList';

/** A database's restore approval requests, pending first, with the decision for approvers. */
export function EntityApprovalsCard(props: { entityRef: string }) {
  const api = useApi(pgBackupApiRef);
  const approve = usePermission({
    permission: pgBackupApprovePermission,
    resourceRef: props.entityRef,
  });
  const { value, loading, error, retry } = useAsyncRetry(
    () => api.getApprovals(props.entityRef),
    [api, props.entityRef],
  );
  let body;
  if (error) body = <ResponseErrorPanel error={error} />;
  else if (loading && !value) body = <Progress />;
  else
    body = (
      <ApprovalList
        requests={[...(value ?? [])].sort(
          (a, b) =>
            Number(b.state === 'pending') - Number(a.state === 'pending'),
        )}
        mayDecide={() => approve.allowed}
        onDecided={retry}
        emptyText="No restore of this database has been requested."
      />
    );
  return <InfoCard title="Approvals">{body}</InfoCard>;
}
