import { ResponseErrorPanel } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { JobSummary } from '@pg-backup/backstage-plugin-pg-backup-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { useEffect, useRef, useState } from 'react';
import { pgBackupApiRef } from '../../api/PgBackupApi';

const useStyles = makeStyles(theme => ({
  log: {
    margin: 0,
    maxHeight: '60vh',
    overflow: 'auto',
    padding: theme.spacing(1),
    fontSize: '0.8rem',
    whiteSpace: 'pre-wrap',
    wordBreak: 'break-all',
    background: theme.palette.background.default,
  },
}));

/** Lines of a finished Job's log that the dialog shows. */
export const LOG_TAIL_LINES = 2000;

/**
 * The log of one of the Job's pods. A running Job's log is followed as it is written; a finished
 * one shows its last {@link LOG_TAIL_LINES} lines. Without a chosen pod the backend reads the
 * newest one (the Job list names pods only for failed Jobs).
 */
export function JobLogDialog(props: {
  entityRef: string;
  job: JobSummary;
  onClose: () => void;
}) {
  const api = useApi(pgBackupApiRef);
  const { entityRef, job } = props;
  const newestPod = job.pods[job.pods.length - 1];
  const [pod, setPod] = useState<string | undefined>(newestPod);
  const [text, setText] = useState('');
  const [state, setState] = useState<'loading' | 'following' | 'done'>(
    'loading',
  );
  const [error, setError] = useState<Error>();
  const classes = useStyles();
  const logRef = useRef<HTMLPreElement>(null);
  // Keep the newest line in view while following, as `kubectl logs -f` does.
  useEffect(() => {
    const element = logRef.current;
    if (element && state === 'following')
      element.scrollTop = element.scrollHeight;
  }, [text, state]);

  useEffect(() => {
    const abort = new AbortController();
    setText('');
    setError(undefined);
    const options = { pod, tailLines: LOG_TAIL_LINES };
    const following = job.state === 'running';
    if (following) setState('following');
    const read = following
      ? api.followJobLog(entityRef, job.name, {
          ...options,
          signal: abort.signal,
          onText: chunk => setText(t => t + chunk),
        })
      : api
          .getJobLog(entityRef, job.name, options)
          .then(log => setText(log.text));
    read
      .then(() => !abort.signal.aborted && setState('done'))
      .catch(e => {
        if (abort.signal.aborted) return;
        setError(e as Error);
        setState('done');
      });
    return () => abort.abort();
  }, [api, entityRef, job.name, job.state, pod]);

  return (
    <Dialog open onClose={props.onClose} fullWidth maxWidth="lg">
      <DialogTitle>Logs of {job.name}</DialogTitle>
      <DialogContent>
        {job.pods.length > 1 && (
          <TextField
            select
            label="Pod"
            value={pod ?? ''}
            onChange={e => setPod(e.target.value)}
            margin="dense"
          >
            {job.pods.map(name => (
              <MenuItem key={name} value={name}>
                {name}
              </MenuItem>
            ))}
          </TextField>
        )}
        {error && <ResponseErrorPanel error={error} />}
        {!error && (
          <Box aria-live="polite" aria-busy={state !== 'done'}>
            {state === 'loading' && !text ? (
              <Typography variant="body2">Reading the log…</Typography>
            ) : (
              <pre
                ref={logRef}
                className={classes.log}
                aria-label={`log of ${pod ?? job.name}`}
              >
                {text || '(empty log)'}
              </pre>
            )}
          </Box>
        )}
        {state === 'following' && (
          <Typography variant="caption">
            Following the running Job's log…
          </Typography>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose}>Close</Button>
      </DialogActions>
    </Dialog>
  );
}
