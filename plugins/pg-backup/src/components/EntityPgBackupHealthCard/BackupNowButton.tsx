import { useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import { pgBackupTriggerPermission } from '@pg-backup/backstage-plugin-pg-backup-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import CircularProgress from '@material-ui/core/CircularProgress';
import Typography from '@material-ui/core/Typography';
import { useEffect, useRef, useState } from 'react';
import { pgBackupApiRef } from '../../api/PgBackupApi';

type Progress =
  | { phase: 'idle' }
  | { phase: 'starting' }
  | { phase: 'running'; job: string }
  | { phase: 'done'; job: string; succeeded: boolean; reason?: string }
  | { phase: 'error'; message: string };

/** How often a running backup's Job is polled (the backend answers from the cluster). */
export const JOB_POLL_MS = 1000;

/**
 * "Back up now", shown only to users allowed to trigger a backup of this entity. After a click
 * it follows the Job until it finishes and then calls `onFinished`.
 */
export function BackupNowButton(props: {
  entityRef: string;
  onFinished: () => void;
}) {
  const api = useApi(pgBackupApiRef);
  const { allowed } = usePermission({
    permission: pgBackupTriggerPermission,
    resourceRef: props.entityRef,
  });
  const [progress, setProgress] = useState<Progress>({ phase: 'idle' });
  const { entityRef } = props;
  // The latest callback, without restarting the polling when its identity changes.
  const onFinished = useRef(props.onFinished);
  onFinished.current = props.onFinished;
  const runningJob = progress.phase === 'running' ? progress.job : undefined;

  useEffect(() => {
    if (!runningJob) return undefined;
    let stopped = false;
    const timer = setInterval(async () => {
      try {
        const job = await api.getJob(entityRef, runningJob);
        if (stopped || job.state === 'running') return;
        stopped = true;
        clearInterval(timer);
        setProgress({
          phase: 'done',
          job: runningJob,
          succeeded: job.state === 'succeeded',
          reason: job.failureReason,
        });
        onFinished.current();
      } catch (error) {
        stopped = true;
        clearInterval(timer);
        setProgress({
          phase: 'error',
          message: String((error as Error).message),
        });
      }
    }, JOB_POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [api, entityRef, runningJob]);

  if (!allowed) return null;
  const busy = progress.phase === 'starting' || progress.phase === 'running';
  const start = async () => {
    setProgress({ phase: 'starting' });
    try {
      const started = await api.triggerBackup(entityRef);
      setProgress({ phase: 'running', job: started.job });
    } catch (error) {
      setProgress({
        phase: 'error',
        message: String((error as Error).message),
      });
    }
  };
  let status: string | undefined;
  if (progress.phase === 'starting') status = 'Starting a backup…';
  else if (progress.phase === 'running')
    status = `Backup job ${progress.job} is running…`;
  else if (progress.phase === 'done')
    status = progress.succeeded
      ? `Backup job ${progress.job} finished.`
      : `Backup job ${progress.job} failed${
          progress.reason ? `: ${progress.reason}` : ''
        }.`;
  else if (progress.phase === 'error')
    status = `Could not back up: ${progress.message}`;
  return (
    <Box display="flex" alignItems="center" mt={1}>
      <Button
        variant="outlined"
        color="primary"
        onClick={start}
        disabled={busy}
      >
        Back up now
      </Button>
      {busy && <CircularProgress size={20} style={{ marginLeft: 8 }} />}
      {status && (
        <Typography variant="body2" role="status" style={{ marginLeft: 8 }}>
          {status}
        </Typography>
      )}
    </Box>
  );
}
