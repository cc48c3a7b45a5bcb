import {
  Content,
  ContentHeader,
  EmptyState,
  Header,
  Page,
  Progress,
  ResponseErrorPanel,
  WarningPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  FleetResponse,
  PG_BACKUP_ANNOTATIONS,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import Button from '@material-ui/core/Button';
import Grid from '@material-ui/core/Grid';
import { useMemo } from 'react';
import { useSearchParams } from 'react-router-dom';
import useAsync from 'react-use/esm/useAsync';
import { pgBackupApiRef } from '../../api/PgBackupApi';
import { PendingApprovalsCard } from '../approvals';
import { ComplianceCard } from './ComplianceCard';
import { FleetFilterBar } from './FleetFilterBar';
import { FleetTable } from './FleetTable';
import { fleetCsv } from './csv';
import { downloadFile } from './downloadFile';
import {
  FLEET_FILTER_NAMES,
  FleetFilterName,
  applyFleetFilter,
  readFleetFilter,
} from './fleetFilter';

const FLEET_CSV_FILE_NAME = 'pg-backup-fleet.csv';

const REQUIRED_ANNOTATIONS = [
  PG_BACKUP_ANNOTATIONS.namespace,
  PG_BACKUP_ANNOTATIONS.backupCronJob,
  PG_BACKUP_ANNOTATIONS.bucket,
];

function NoDatabases() {
  return (
    <EmptyState
      missing="data"
      title="No databases with pg-backup annotations"
      description={`Databases appear here once their catalog entity has the annotations ${REQUIRED_ANNOTATIONS.join(
        ', ',
      )}, naming the Kubernetes namespace, the backup CronJob and the S3 bucket of its backups.`}
    />
  );
}

/** The filters from the URL, the compliance summary, the table and its export. */
function FleetView(props: { fleet: FleetResponse; now: Date }) {
  const { fleet, now } = props;
  const [searchParams, setSearchParams] = useSearchParams();
  const filter = useMemo(() => readFleetFilter(searchParams), [searchParams]);
  const shown = useMemo(
    () => applyFleetFilter(fleet.items, filter),
    [fleet.items, filter],
  );

  const setFilter = (name: FleetFilterName, value: string) =>
    setSearchParams(
      params => {
        const next = new URLSearchParams(params);
        if (value) next.set(name, value);
        else next.delete(name);
        return next;
      },
      { replace: true },
    );
  const clearFilters = () =>
    setSearchParams(
      params => {
        const next = new URLSearchParams(params);
        FLEET_FILTER_NAMES.forEach(name => next.delete(name));
        return next;
      },
      { replace: true },
    );
  const exportCsv = () =>
    downloadFile(
      FLEET_CSV_FILE_NAME,
      // Ages as of the load, like the table shows them.
      fleetCsv(shown, now),
      'text/csv;charset=utf-8',
    );

  return (
    <>
      <ContentHeader
        title="Fleet"
        description={
          fleet.refreshedAt
            ? `Last refreshed ${new Date(fleet.refreshedAt).toUTCString()}`
            : 'Not evaluated yet'
        }
      >
        <Button
          variant="outlined"
          color="primary"
          onClick={exportCsv}
          disabled={shown.length === 0}
        >
          Export CSV
        </Button>
      </ContentHeader>
      <Grid container spacing={3}>
        <Grid item xs={12}>
          <ComplianceCard entries={shown} />
        </Grid>
        <Grid item xs={12}>
          <FleetFilterBar
            entries={fleet.items}
            filter={filter}
            onChange={setFilter}
            onClear={clearFilters}
          />
          <FleetTable entries={shown} now={now} />
        </Grid>
        <Grid item xs={12}>
          <PendingApprovalsCard />
        </Grid>
      </Grid>
    </>
  );
}

function isNotAllowed(error: Error | undefined): boolean {
  return error instanceof ResponseError && error.response.status === 403;
}

/** For people outside the platform team and the approvers: where to look instead. */
function FleetNotAllowed() {
  return (
    <WarningPanel
      severity="info"
      title="The fleet view is for the platform team and approvers"
      message="It needs the permission pg-backup.fleet.read. The backups of the databases your team owns are on their catalog pages, in the Backups tab."
    />
  );
}

/** The fleet dashboard: backup compliance and health of every annotated database. */
export function PgBackupFleetPage() {
  const api = useApi(pgBackupApiRef);
  const { value, loading, error } = useAsync(async () => {
    const fleet = await api.getFleet();
    return { fleet, now: new Date() };
  }, [api]);

  let content;
  if (loading) content = <Progress />;
  else if (isNotAllowed(error)) content = <FleetNotAllowed />;
  else if (error) content = <ResponseErrorPanel error={error} />;
  else if (!value || value.fleet.items.length === 0) content = <NoDatabases />;
  else content = <FleetView fleet={value.fleet} now={value.now} />;

  return (
    <Page themeId="tool">
      <Header
        title="PostgreSQL backups"
        subtitle="Backup health, recovery points and drills across every database with pg-backup annotations"
      />
      <Content>{content}</Content>
    </Page>
  );
}
