import { Table, TableColumn } from '@backstage/core-components';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import {
  FleetEntry,
  formatBytes,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import Typography from '@material-ui/core/Typography';
import { useMemo } from 'react';
import { HealthStatusLabel } from '../HealthStatusLabel';
import { compareStatus } from './fleetFilter';
import {
  describeEvaluation,
  formatAgainstObjective,
  lastDrillTime,
  recoveryPointAgeMs,
} from './fleetFigures';

/** Ascending order of numbers, Infinity included. */
const byNumber =
  (value: (entry: FleetEntry) => number) => (a: FleetEntry, b: FleetEntry) => {
    const x = value(a);
    const y = value(b);
    if (x === y) return 0;
    return x < y ? -1 : 1;
  };

function LastDrill(props: { entry: FleetEntry }) {
  const { entry } = props;
  const time = lastDrillTime(entry);
  if (!time) return <>None recorded</>;
  const outcome = entry.lastDrill
    ? `, ${entry.lastDrill.passed ? 'passed' : 'failed'}`
    : '';
  return (
    <>
      {time.slice(0, 10)}
      {outcome}
      <Typography variant="body2" color="textSecondary">
        RTO{' '}
        {formatAgainstObjective(entry.lastDrill?.measuredRtoMs, entry.rtoMs)}
      </Typography>
    </>
  );
}

/** Ages are as of each row's evaluation, the moment its status and summary were made. */
const evaluated = (entry: FleetEntry) => new Date(entry.evaluatedAt);

function columns(now: Date): TableColumn<FleetEntry>[] {
  const age = (entry: FleetEntry) =>
    recoveryPointAgeMs(entry, evaluated(entry)) ?? Infinity;
  return [
    {
      title: 'Database',
      field: 'title',
      highlight: true,
      render: entry => (
        <EntityRefLink entityRef={entry.entityRef}>{entry.title}</EntityRefLink>
      ),
    },
    {
      title: 'Status',
      field: 'status',
      customSort: (a, b) =>
        compareStatus(a, b) || a.title.localeCompare(b.title),
      cellStyle: { minWidth: 240 },
      render: entry => (
        <>
          <HealthStatusLabel status={entry.status} />
          <Typography variant="body2">{entry.summary}</Typography>
          <Typography variant="caption" color="textSecondary">
            {describeEvaluation(entry, now)}
          </Typography>
        </>
      ),
    },
    {
      title: 'Recovery point age / RPO',
      field: 'recoveryPointTime',
      customSort: byNumber(age),
      render: entry =>
        formatAgainstObjective(
          recoveryPointAgeMs(entry, evaluated(entry)),
          entry.rpoMs,
        ),
    },
    {
      title: 'Last backup size',
      field: 'lastBackupSize',
      type: 'numeric',
      customSort: byNumber(entry => entry.lastBackupSize ?? -1),
      render: entry =>
        entry.lastBackupSize === undefined
          ? '—'
          : formatBytes(entry.lastBackupSize),
    },
    {
      title: 'Last drill / RTO',
      sorting: false,
      render: entry => <LastDrill entry={entry} />,
    },
    {
      title: 'Owner',
      field: 'owner',
      render: entry =>
        entry.owner ? (
          <EntityRefLink entityRef={entry.owner} defaultKind="group" />
        ) : (
          '—'
        ),
    },
    {
      title: 'System',
      field: 'system',
      render: entry =>
        entry.system ? (
          <EntityRefLink entityRef={entry.system} defaultKind="system" />
        ) : (
          '—'
        ),
    },
  ];
}

/** Words wrap at spaces only, never inside ("recor/ded"), in cells and headers alike. */
const WORD_SAFE = { wordBreak: 'normal', overflowWrap: 'normal' } as const;

function wordSafe(column: TableColumn<FleetEntry>): TableColumn<FleetEntry> {
  return {
    ...column,
    cellStyle: { ...WORD_SAFE, ...(column.cellStyle as object) },
    headerStyle: { ...WORD_SAFE, ...column.headerStyle },
  };
}

/** The databases shown, worst first, sortable by status, recovery point age and size. */
export function FleetTable(props: { entries: FleetEntry[]; now: Date }) {
  // Stable columns keep the user's sort order across re-renders.
  const tableColumns = useMemo(
    () => columns(props.now).map(wordSafe),
    [props.now],
  );
  // The table annotates its rows in place, so it gets copies.
  const rows = useMemo(
    () => props.entries.map(entry => ({ ...entry })),
    [props.entries],
  );
  return (
    <Table<FleetEntry>
      title="Databases"
      columns={tableColumns}
      data={rows}
      options={{
        search: false,
        paging: rows.length > 20,
        pageSize: 20,
        pageSizeOptions: [20, 50, 100],
        padding: 'dense',
      }}
      emptyContent={
        <Typography variant="body2" style={{ padding: 16 }}>
          No databases match the filters.
        </Typography>
      }
    />
  );
}
