import { useEntity } from '@backstage/plugin-catalog-react';
import Grid from '@material-ui/core/Grid';
import { ReactNode } from 'react';
import { PgBackupTargetGate } from '../PgBackupTargetGate';
import { EntityApprovalsCard } from '../approvals';
import { BackupsCard } from './BackupsCard';
import { DrillHistoryCard } from './DrillHistoryCard';
import { JobsCard } from './JobsCard';
import { RecoveryEvidenceCard } from './RecoveryEvidenceCard';
import { StoragePolicyCard } from './StoragePolicyCard';

/**
 * The "Backups" tab of a database entity: its backups with their size trend, CronJobs and Job
 * history with logs, the bucket's storage policy, the recovery evidence, the drill history and
 * the restore approval requests. `children` are placed after these.
 */
export function EntityPgBackupContent(props: { children?: ReactNode }) {
  const { entity } = useEntity();
  return (
    <PgBackupTargetGate entity={entity}>
      {(target, entityRef) => (
        <Grid container spacing={3} alignItems="stretch">
          <Grid item xs={12}>
            <BackupsCard entityRef={entityRef} />
          </Grid>
          <Grid item xs={12}>
            <JobsCard entityRef={entityRef} />
          </Grid>
          <Grid item xs={12} xl={7}>
            <StoragePolicyCard
              entityRef={entityRef}
              objectives={target.objectives}
            />
          </Grid>
          <Grid item xs={12} xl={5}>
            <RecoveryEvidenceCard
              entityRef={entityRef}
              objectives={target.objectives}
            />
          </Grid>
          <Grid item xs={12}>
            <DrillHistoryCard
              entityRef={entityRef}
              objectives={target.objectives}
            />
          </Grid>
          <Grid item xs={12}>
            <EntityApprovalsCard entityRef={entityRef} />
          </Grid>
          {props.children}
        </Grid>
      )}
    </PgBackupTargetGate>
  );
}
