import { ApprovalRequest } from '@pg-backup/backstage-plugin-pg-backup-common';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { useState } from 'react';
import { describeRequest } from './describeRequest';

/** Asks for a comment, then approves or rejects. A rejection needs a comment. */
export function ApprovalDecisionDialog(props: {
  request: ApprovalRequest;
  decision: 'approve' | 'reject';
  onDecide: (comment: string) => Promise<void>;
  onClose: () => void;
}) {
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const verb = props.decision === 'approve' ? 'Approve' : 'Reject';
  const needsComment = props.decision === 'reject' && comment.trim() === '';
  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await props.onDecide(comment.trim());
      props.onClose();
    } catch (e) {
      setError((e as Error).message);
      setBusy(false);
    }
  };
  return (
    <Dialog open onClose={props.onClose} fullWidth maxWidth="sm">
      <DialogTitle>
        {verb} {props.request.kind} of {props.request.entityRef}
      </DialogTitle>
      <DialogContent>
        <Typography variant="body2" gutterBottom>
          {describeRequest(props.request)}
        </Typography>
        <TextField
          label={props.decision === 'reject' ? 'Why (required)' : 'Comment'}
          value={comment}
          onChange={e => setComment(e.target.value)}
          multiline
          minRows={2}
          fullWidth
          inputProps={{ maxLength: 1000 }}
        />
        {error && (
          <Typography variant="body2" color="error" role="alert">
            {error}
          </Typography>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose}>Cancel</Button>
        <Button
          color={props.decision === 'approve' ? 'primary' : 'secondary'}
          variant="contained"
          disabled={busy || needsComment}
          onClick={submit}
        >
          {verb}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
