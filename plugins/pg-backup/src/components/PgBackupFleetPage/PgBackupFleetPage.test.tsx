import { ResponseError } from '@backstage/errors';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { TestApiProvider, renderInTestApp } from '@backstage/test-utils';
import {
  FleetEntry,
  FleetResponse,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { PgBackupApi, pgBackupApiRef } from '../../api/PgBackupApi';
import { PgBackupFleetPage } from './PgBackupFleetPage';
import { HOUR, fleetEntry } from './fleetEntries.testData';

// The page shows when each row was evaluated against the real clock, so the fixtures are
// relative to it: evaluated 15 minutes ago, ages as of that evaluation.
const hoursAgo = (hours: number) =>
  new Date(Date.now() - hours * HOUR).toISOString();
const evaluatedAt = hoursAgo(0.25);

const orders = fleetEntry({ recoveryPointTime: hoursAgo(5.25), evaluatedAt });
const billing = fleetEntry({
  entityRef: 'resource:default/billing-postgresql',
  title: 'Billing, EU',
  status: 'critical',
  summary: 'Last good backup 30h ago — RPO 6h exceeded',
  recoveryPointTime: hoursAgo(30.25),
  evaluatedAt,
  rpoMet: false,
  owner: 'group:default/payments',
  system: 'system:default/billing',
  findingCodes: ['rpo-exceeded', 'drill-failed'],
  lastDrill: { performedAt: '2026-09-01T10:00:00.000Z', passed: false },
  lastDrillTime: '2026-09-01T10:00:00.000Z',
  lastBackupSize: 512,
});
const inventory = fleetEntry({
  entityRef: 'resource:default/inventory-postgresql',
  title: 'Inventory',
  status: 'warning',
  summary: 'No backup has ever been verified by a restore',
  recoveryPointTime: hoursAgo(2.25),
  evaluatedAt,
  findingCodes: ['backup-never-verified'],
});

const fleet = (items: FleetEntry[]): FleetResponse => ({
  items,
  counts: { healthy: 1, warning: 1, critical: 1, unknown: 0 },
  refreshedAt: '2026-11-24T10:00:00.000Z',
});

function render(getFleet: PgBackupApi['getFleet'], url = '/pg-backup') {
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [pgBackupApiRef, { getFleet, getPendingApprovals: async () => [] }],
      ]}
    >
      <PgBackupFleetPage />
    </TestApiProvider>,
    {
      routeEntries: [url],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    },
  );
}

const tableRows = () =>
  within(screen.getByRole('table')).getAllByRole('row').slice(1);

describe('PgBackupFleetPage', () => {
  it('shows each database with its status, recovery point, size, drill and owner', async () => {
    const getFleet = jest.fn(async () => fleet([billing, inventory, orders]));
    await render(getFleet);
    expect(await screen.findByText('Orders database')).toHaveAttribute(
      'href',
      '/catalog/default/resource/orders-postgresql',
    );
    expect(getFleet).toHaveBeenCalledTimes(1);
    expect(screen.getByText('PostgreSQL backups')).toBeInTheDocument();
    expect(
      screen.getByText('Last refreshed Tue, 24 Nov 2026 10:00:00 GMT'),
    ).toBeInTheDocument();
    expect(tableRows()).toHaveLength(3);

    const [billingRow, , ordersRow] = tableRows();
    const row = within(ordersRow);
    expect(row.getByText('Healthy')).toBeInTheDocument();
    expect(
      row.getByText('Last good backup 5h ago — within RPO 6h'),
    ).toBeInTheDocument();
    // The age is the one the summary gives, as of the evaluation shown under it.
    expect(row.getByText('5h / 6h')).toBeInTheDocument();
    expect(
      row.getByText(
        new RegExp(
          `^Evaluated (${evaluatedAt.slice(0, 10)} )?${evaluatedAt.slice(
            11,
            16,
          )} UTC, 15m ago$`,
        ),
      ),
    ).toBeInTheDocument();
    expect(row.getByText('3.0 MiB')).toBeInTheDocument();
    expect(row.getByText(/2026-10-01, passed/)).toBeInTheDocument();
    expect(row.getByText('RTO 1h 12m / 4h')).toBeInTheDocument();
    expect(row.getByText('platform-team')).toBeInTheDocument();
    expect(row.getByText('shop')).toBeInTheDocument();

    const critical = within(billingRow);
    expect(critical.getByText('Critical')).toBeInTheDocument();
    expect(critical.getByText('1d 6h / 6h')).toBeInTheDocument();
    expect(critical.getByText('512 B')).toBeInTheDocument();
    expect(critical.getByText(/2026-09-01, failed/)).toBeInTheDocument();
    expect(critical.getByText('RTO — / 4h')).toBeInTheDocument();
  });

  it('sorts by recovery point age', async () => {
    await render(async () => fleet([billing, inventory, orders]));
    await userEvent.click(await screen.findByText('Recovery point age / RPO'));
    expect(
      tableRows().map(r => within(r).getAllByRole('link')[0].textContent),
    ).toEqual(['Inventory', 'Orders database', 'Billing, EU']);
  });

  it('sums up compliance and statuses over the databases shown', async () => {
    await render(async () => fleet([billing, inventory, orders]));
    expect(
      await screen.findByRole('progressbar', {
        name: '2 of 3 databases: meet the rpo',
      }),
    ).toHaveAttribute('aria-valuenow', '67');
    expect(
      screen.getByRole('progressbar', {
        name: '2 of 3 databases: verified backup',
      }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('progressbar', {
        name: '2 of 3 databases: drill compliant',
      }),
    ).toBeInTheDocument();
    expect(screen.getByText('Meet the RPO: 2 of 3 (67%)')).toBeInTheDocument();
    const statusChart = screen.getByRole('img', {
      name: 'Status: 1 critical, 0 unknown, 1 warning, 1 healthy',
    });
    // One stacked bar per status that has databases, drawn by the chart library.
    expect(
      statusChart.querySelectorAll('path.recharts-rectangle'),
    ).toHaveLength(3);
  });

  it('filters by the status in the URL, compliance included', async () => {
    await render(
      async () => fleet([billing, inventory, orders]),
      '/pg-backup?status=critical',
    );
    expect(await screen.findByText('Billing, EU')).toBeInTheDocument();
    expect(tableRows()).toHaveLength(1);
    expect(screen.queryByText('Orders database')).not.toBeInTheDocument();
    expect(screen.getByLabelText('Status')).toHaveValue('critical');
    expect(
      screen.getByRole('progressbar', {
        name: '0 of 1 databases: meet the rpo',
      }),
    ).toBeInTheDocument();
  });

  it('filters with the controls and clears the filters', async () => {
    await render(async () => fleet([billing, inventory, orders]));
    await screen.findByText('Orders database');
    await userEvent.selectOptions(screen.getByLabelText('Owner'), 'payments');
    expect(tableRows()).toHaveLength(1);
    expect(screen.getByText('Billing, EU')).toBeInTheDocument();

    await userEvent.selectOptions(
      screen.getByLabelText('Status'),
      'Healthy (1)',
    );
    expect(
      screen.getByText('No databases match the filters.'),
    ).toBeInTheDocument();

    await userEvent.click(
      screen.getByRole('button', { name: 'Clear filters' }),
    );
    expect(tableRows()).toHaveLength(3);
    expect(screen.getByLabelText('Owner')).toHaveValue('');
  });

  it('explains the annotations when no database has them', async () => {
    await render(async () => fleet([]));
    expect(
      await screen.findByText('No databases with pg-backup annotations'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/pg-backup.io\/backup-cronjob/),
    ).toBeInTheDocument();
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
  });

  async function backendError(status: number, message: string) {
    return ResponseError.fromResponse(
      new Response(
        JSON.stringify({
          error: { name: 'Error', message },
          request: { method: 'GET', url: '/fleet' },
          response: { statusCode: status },
        }),
        { status, headers: { 'Content-Type': 'application/json' } },
      ),
    );
  }

  it('shows the backend error', async () => {
    const error = await backendError(503, 'fleet snapshot unavailable');
    await render(async () => Promise.reject(error));
    expect(
      (await screen.findAllByText(/fleet snapshot unavailable/)).length,
    ).toBeGreaterThan(0);
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
  });

  it('tells someone without pg-backup.fleet.read where to look instead', async () => {
    const error = await backendError(
      403,
      'not allowed to pg-backup.fleet.read',
    );
    await render(async () => Promise.reject(error));
    expect(
      await screen.findByText(
        /The fleet view is for the platform team and approvers/,
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/needs the permission pg-backup.fleet.read/),
    ).toBeInTheDocument();
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
  });

  describe('Export CSV', () => {
    const createObjectURL = jest.fn((_: Blob) => 'blob:fleet');
    const revokeObjectURL = jest.fn();
    let click: jest.SpyInstance;
    beforeEach(() => {
      Object.assign(URL, { createObjectURL, revokeObjectURL });
      click = jest
        .spyOn(HTMLAnchorElement.prototype, 'click')
        .mockImplementation(() => {});
    });
    afterEach(() => click.mockRestore());

    it('downloads the rows shown as pg-backup-fleet.csv', async () => {
      await render(
        async () => fleet([billing, inventory, orders]),
        '/pg-backup?owner=group:default/platform-team',
      );
      await userEvent.click(
        await screen.findByRole('button', { name: 'Export CSV' }),
      );
      expect(click).toHaveBeenCalledTimes(1);
      const anchor = click.mock.contexts[0] as HTMLAnchorElement;
      expect(anchor.download).toBe('pg-backup-fleet.csv');
      expect(anchor.href).toBe('blob:fleet');
      const blob = createObjectURL.mock.calls[0][0];
      expect(blob.type).toBe('text/csv;charset=utf-8');
      const lines = (await new Response(blob).text()).split('\r\n');
      expect(lines[0]).toMatch(/^database,title,status,summary,/);
      expect(lines.slice(1, -1).map(line => line.split(',')[0])).toEqual([
        'resource:default/inventory-postgresql',
        'resource:default/orders-postgresql',
      ]);
      await waitFor(() =>
        expect(revokeObjectURL).toHaveBeenCalledWith('blob:fleet'),
      );
    });
  });
});
