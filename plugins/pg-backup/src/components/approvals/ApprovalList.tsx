import { useApi, identityApiRef } from '@backstage/core-plugin-api';
import {
  ApprovalRequest,
  ApprovalState,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemText from '@material-ui/core/ListItemText';
import Typography from '@material-ui/core/Typography';
import { useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { pgBackupApiRef } from '../../api/PgBackupApi';
import { ApprovalDecisionDialog } from './ApprovalDecisionDialog';
import { describeRequest } from './describeRequest';
import { utcDate } from '../formatting';

const STATE_COLOR: Record<ApprovalState, 'default' | 'primary' | 'secondary'> =
  {
    pending: 'secondary',
    approved: 'primary',
    rejected: 'default',
    expired: 'default',
  };

/**
 * Approval requests with their state. Pending requests get Approve and Reject buttons for
 * `mayDecide` users, except on their own requests: a second person must approve a restore.
 */
export function ApprovalList(props: {
  requests: ApprovalRequest[];
  mayDecide: (request: ApprovalRequest) => boolean;
  onDecided: () => void;
  emptyText: string;
}) {
  const api = useApi(pgBackupApiRef);
  const identityApi = useApi(identityApiRef);
  const me = useAsync(
    async () => (await identityApi.getBackstageIdentity()).userEntityRef,
    [identityApi],
  );
  const [deciding, setDeciding] = useState<{
    request: ApprovalRequest;
    decision: 'approve' | 'reject';
  }>();
  if (props.requests.length === 0)
    return <Typography variant="body2">{props.emptyText}</Typography>;
  return (
    <>
      <List dense aria-label="approval requests">
        {props.requests.map(request => {
          const own = me.value === request.requestedBy;
          const pending = request.state === 'pending';
          let decided = '';
          if (request.decidedBy && request.decidedAt)
            decided = ` · ${request.state} by ${request.decidedBy} at ${utcDate(
              request.decidedAt,
            )}${request.comment ? `: ${request.comment}` : ''}`;
          return (
            <ListItem key={request.id} divider alignItems="flex-start">
              <ListItemText
                primary={describeRequest(request)}
                secondary={`Requested ${utcDate(request.createdAt)} · ${
                  pending ? `expires ${utcDate(request.expiresAt)}` : ''
                }${decided}`}
              />
              <Box ml={2} display="flex" alignItems="center" flexShrink={0}>
                <Chip
                  size="small"
                  label={request.state}
                  color={STATE_COLOR[request.state]}
                />
                {pending && own && (
                  <Typography variant="caption">
                    &nbsp;Your request: another person must approve it.
                  </Typography>
                )}
                {pending && !own && me.value && props.mayDecide(request) && (
                  <>
                    <Button
                      size="small"
                      color="primary"
                      onClick={() =>
                        setDeciding({ request, decision: 'approve' })
                      }
                      aria-label={`Approve request ${request.id}`}
                    >
                      Approve
                    </Button>
                    <Button
                      size="small"
                      onClick={() =>
                        setDeciding({ request, decision: 'reject' })
                      }
                      aria-label={`Reject request ${request.id}`}
                    >
                      Reject
                    </Button>
                  </>
                )}
              </Box>
            </ListItem>
          );
        })}
      </List>
      {deciding && (
        <ApprovalDecisionDialog
          request={deciding.request}
          decision={deciding.decision}
          onDecide={async comment => {
            await api.decideApproval(deciding.request.id, {
              decision: deciding.decision,
              ...(comment && { comment }),
            });
            props.onDecided();
          }}
          onClose={() => setDeciding(undefined)}
        />
      )}
    </>
  );
}
