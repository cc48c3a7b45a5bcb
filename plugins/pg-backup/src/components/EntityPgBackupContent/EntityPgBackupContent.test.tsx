import { Entity } from '@backstage/catalog-model';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import {
  TestApiProvider,
  mockApis,
  renderInTestApp,
} from '@backstage/test-utils';
import {
  BackupEntry,
  JobSummary,
  JobsResponse,
  StoragePolicy,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { PgBackupApi, pgBackupApiRef } from '../../api/PgBackupApi';
import { EntityPgBackupContent } from './EntityPgBackupContent';

const PREFIX = 'postgresql/daily/';

const database = (name: string, annotations?: Record<string, string>) =>
  ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: {
      name,
      namespace: 'default',
      annotations: annotations ?? {
        'pg-backup.io/namespace': 'qawave',
        'pg-backup.io/backup-cronjob': 'postgresql-backup',
        'pg-backup.io/database': 'qawave',
        'pg-backup.io/bucket': 'qawave-backups',
        'pg-backup.io/prefix': PREFIX,
        'pg-backup.io/retention': '30d',
      },
    },
    spec: { type: 'database', owner: 'platform-team' },
  } as Entity);

const backup = (day: number, overrides: Partial<BackupEntry> = {}) => {
  const date = `202611${String(day).padStart(2, '0')}`;
  return {
    key: `${PREFIX}qawave_${date}_020000.dump`,
    role: 'backup',
    size: 48_000_000 + day * 10_000,
    takenAt: `2026-11-${String(day).padStart(2, '0')}T02:00:00.000Z`,
    lastModified: `2026-11-${String(day).padStart(2, '0')}T02:01:00.000Z`,
    complete: true,
    sha256: 'ab'.repeat(32),
    encryption: 'AES256',
    verification: 'unverified',
    ...overrides,
  } as BackupEntry;
};

const job = (overrides: Partial<JobSummary>): JobSummary => ({
  name: 'postgresql-backup-29000000',
  cronJob: 'postgresql-backup',
  state: 'succeeded',
  startTime: '2026-11-24T02:00:00.000Z',
  finishedAt: '2026-11-24T02:03:00.000Z',
  durationMs: 180_000,
  manual: false,
  pods: ['postgresql-backup-29000000-abcde'],
  ...overrides,
});

const jobs: JobsResponse = {
  cronJobs: {
    known: true,
    value: [
      {
        name: 'postgresql-backup',
        role: 'backup',
        schedule: '0 2 * * *',
        suspend: false,
        lastScheduleTime: '2026-11-24T02:00:00.000Z',
        lastSuccessfulTime: '2026-11-24T02:03:00.000Z',
        nextRun: '2026-11-25T02:00:00.000Z',
      },
    ],
  },
  jobs: {
    known: true,
    value: [
      job({
        name: 'postgresql-backup-manual-abc',
        state: 'running',
        manual: true,
        finishedAt: undefined,
        durationMs: 4_000,
        pods: ['postgresql-backup-manual-abc-xyz'],
      }),
      job({
        name: 'postgresql-backup-28990000',
        state: 'failed',
        failureReason: 'BackoffLimitExceeded',
        failure: {
          kind: 's3-access-denied',
          hint: 'The backup role may not write to the bucket; check its policy.',
        },
      }),
    ],
  },
};

const policy: StoragePolicy = {
  bucket: 'qawave-backups',
  prefix: PREFIX,
  lifecycleRules: [
    {
      id: 'expire-daily',
      prefix: PREFIX,
      enabled: true,
      expirationDays: 30,
      coversBackups: true,
    },
  ],
  expirationDays: 30,
  defaultEncryption: 'AES256',
  versioning: 'Enabled',
  accessLogging: false,
  objectCount: 60,
  totalBytes: 2_900_000_000,
  windowDays: 30,
};

function render(
  entity: Entity,
  api: Partial<PgBackupApi>,
  mayRestore: boolean = true,
) {
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [
          pgBackupApiRef,
          {
            getBackups: async () => ({ items: [] }),
            getJobs: async () => ({
              cronJobs: { known: true as const, value: [] },
              jobs: { known: true as const, value: [] },
            }),
            getStoragePolicy: async () => policy,
            getDrills: async () => [],
            getApprovals: async () => [],
            getHealth: async () => ({
              entityRef: 'resource:default/x',
              partial: false,
              health: {
                status: 'healthy' as const,
                summary: 'ok',
                missedRuns: 0,
                findings: [],
                evaluatedAt: '2026-11-24T10:00:00.000Z',
              },
            }),
            ...api,
          },
        ],
        [
          permissionApiRef,
          mockApis.permission({
            authorize: mayRestore
              ? AuthorizeResult.ALLOW
              : AuthorizeResult.DENY,
          }),
        ],
      ]}
    >
      <EntityProvider entity={entity}>
        <EntityPgBackupContent />
      </EntityProvider>
    </TestApiProvider>,
  );
}

describe('EntityPgBackupContent', () => {
  it('lists backups newest first with size, checksum, encryption and pre-filled actions', async () => {
    const getBackups = jest.fn(async () => ({
      items: [backup(24, { verification: 'passed' }), backup(23)],
    }));
    await render(database('qawave-postgresql'), { getBackups });
    const table = await screen.findByRole('table', { name: 'backups' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('qawave_20261124_020000.dump');
    expect(rows[0]).toHaveTextContent('46 MiB');
    expect(rows[0]).toHaveTextContent('abababababab…');
    expect(rows[0]).toHaveTextContent('AES256');
    expect(rows[0]).toHaveTextContent('passed');
    const restore = within(rows[0]).getByRole('link', { name: 'Restore' });
    const url = new URL(restore.getAttribute('href')!, 'http://app');
    expect(url.pathname).toBe('/create/templates/default/pg-backup-restore');
    expect(JSON.parse(url.searchParams.get('formData')!)).toEqual({
      entity: 'resource:default/qawave-postgresql',
      backupKey: `${PREFIX}qawave_20261124_020000.dump`,
    });
    expect(
      within(rows[1]).getByRole('link', { name: 'Verify' }),
    ).toHaveAttribute(
      'href',
      expect.stringContaining('/create/templates/default/pg-backup-verify?'),
    );
    expect(getBackups).toHaveBeenCalledWith(
      'resource:default/qawave-postgresql',
      { limit: 30, cursor: undefined },
    );
  });

  it('offers a dump without a manifest for a verify that adopts it, never for a restore', async () => {
    await render(database('pipeline-db'), {
      getBackups: async () => ({
        items: [backup(24, { complete: false, sha256: undefined })],
      }),
    });
    const table = await screen.findByRole('table', { name: 'backups' });
    const [row] = within(table).getAllByRole('row').slice(1);
    expect(row).toHaveTextContent(
      'not verified: no manifest (interrupted or made outside pg-backup)',
    );
    const adopt = within(row).getByRole('link', { name: 'Verify to adopt' });
    const url = new URL(adopt.getAttribute('href')!, 'http://app');
    expect(url.pathname).toBe('/create/templates/default/pg-backup-verify');
    expect(JSON.parse(url.searchParams.get('formData')!)).toEqual({
      entity: 'resource:default/pipeline-db',
      backupKey: `${PREFIX}qawave_20261124_020000.dump`,
    });
    expect(within(row).queryByRole('link', { name: 'Restore' })).toBeNull();
  });

  it('makes an empty dump stand out in the size trend and the table', async () => {
    await render(database('trend-db'), {
      getBackups: async () => ({
        items: [backup(24, { size: 0 }), backup(23), backup(22), backup(21)],
      }),
    });
    const trend = await screen.findByRole('img', {
      name: /Size of the last 4/,
    });
    expect(trend).toHaveAccessibleName(
      'Size of the last 4 backups, newest 0 B; 1 unusually small',
    );
    // One bar per backup, the empty one marked; a time axis and a size axis in bytes.
    expect(trend.querySelectorAll('.recharts-bar-rectangle')).toHaveLength(4);
    expect(trend.querySelectorAll('path.suspicious')).toHaveLength(1);
    expect(trend.querySelector('.recharts-xAxis')).toHaveTextContent('11-21');
    expect(trend.querySelector('.recharts-yAxis')).toHaveTextContent(/MiB|KiB/);
    expect(screen.getByText(/in red, empty dumps/)).toBeInTheDocument();
    const rows = within(screen.getByRole('table', { name: 'backups' }))
      .getAllByRole('row')
      .slice(1);
    expect(rows[0]).toHaveTextContent('unusually small');
    expect(rows[1]).not.toHaveTextContent('unusually small');
  });

  it('loads older backups with the cursor and offers restore only to those allowed', async () => {
    const getBackups = jest.fn(
      async (_ref: string, options?: { cursor?: string }) =>
        options?.cursor
          ? { items: [backup(22)] }
          : { items: [backup(24), backup(23)], nextCursor: 'c1' },
    );
    await render(database('paged-db'), { getBackups }, false);
    await userEvent.click(
      await screen.findByRole('button', { name: 'Load older backups' }),
    );
    await waitFor(() =>
      expect(
        within(screen.getByRole('table', { name: 'backups' })).getAllByRole(
          'row',
        ),
      ).toHaveLength(4),
    );
    expect(getBackups).toHaveBeenLastCalledWith('resource:default/paged-db', {
      limit: 30,
      cursor: 'c1',
    });
    expect(
      screen.queryByRole('button', { name: 'Load older backups' }),
    ).not.toBeInTheDocument();
    expect(screen.getAllByRole('link', { name: 'Verify' })).toHaveLength(3);
    expect(screen.queryByRole('link', { name: 'Restore' })).toBeNull();
  });

  it('shows schedules in words and jobs with their classified failure', async () => {
    await render(database('jobs-db'), { getJobs: async () => jobs });
    const cronJobs = await screen.findByRole('table', { name: 'CronJobs' });
    expect(cronJobs).toHaveTextContent('Every day at 02:00 UTC');
    expect(cronJobs).toHaveTextContent('2026-11-25 02:00');
    const rows = within(screen.getByRole('table', { name: 'Jobs' }))
      .getAllByRole('row')
      .slice(1);
    expect(rows[0]).toHaveTextContent('postgresql-backup-manual-abc (manual)');
    expect(rows[0]).toHaveTextContent('running');
    expect(rows[1]).toHaveTextContent('failed');
    expect(rows[1]).toHaveTextContent('s3-access-denied');
    expect(rows[1]).toHaveTextContent('check its policy');
  });

  it("follows a running job's log and reads a finished job's tail", async () => {
    const followJobLog = jest.fn<
      ReturnType<PgBackupApi['followJobLog']>,
      Parameters<PgBackupApi['followJobLog']>
    >(async (_ref, _job, options) => {
      options.onText('pg_dump: dumping contents of table "public.orders"\n');
      options.onText('uploaded 48 MB\n');
    });
    const getJobLog = jest.fn(async () => ({
      pod: 'postgresql-backup-28990000-abcde',
      text: 'An error occurred (AccessDenied) when calling PutObject',
    }));
    await render(database('logs-db'), {
      getJobs: async () => jobs,
      followJobLog,
      getJobLog,
    });
    await userEvent.click(
      await screen.findByRole('button', {
        name: 'Logs of postgresql-backup-manual-abc',
      }),
    );
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent('Logs of postgresql-backup-manual-abc');
    await waitFor(() => expect(dialog).toHaveTextContent('uploaded 48 MB'));
    expect(followJobLog).toHaveBeenCalledWith(
      'resource:default/logs-db',
      'postgresql-backup-manual-abc',
      expect.objectContaining({
        pod: 'postgresql-backup-manual-abc-xyz',
        tailLines: 2000,
      }),
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Close' }),
    );
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );

    await userEvent.click(
      screen.getByRole('button', {
        name: 'Logs of postgresql-backup-28990000',
      }),
    );
    expect(await screen.findByRole('dialog')).toHaveTextContent('AccessDenied');
    expect(getJobLog).toHaveBeenCalledTimes(1);
  });

  it('offers no logs to someone without pg-backup.logs.read, and says why', async () => {
    const getJobLog = jest.fn();
    await render(
      database('nologs-db'),
      { getJobs: async () => jobs, getJobLog },
      false,
    );
    const table = await screen.findByRole('table', { name: 'Jobs' });
    expect(
      within(table).queryByRole('button', { name: /^Logs of / }),
    ).not.toBeInTheDocument();
    const notAllowed = within(table).getAllByText('not allowed');
    expect(notAllowed).toHaveLength(2);
    expect(notAllowed[0]).toHaveAttribute(
      'title',
      expect.stringContaining('pg-backup.logs.read'),
    );
    expect(getJobLog).not.toHaveBeenCalled();
  });

  it('shows the storage policy against the retention objective', async () => {
    await render(database('storage-db'), {
      getStoragePolicy: async () => ({
        ...policy,
        expirationDays: 7,
        defaultEncryption: undefined,
      }),
    });
    expect(
      await screen.findByText('Backups expire after 7 days; objective 30 days'),
    ).toBeInTheDocument();
    expect(screen.getByText('No default encryption')).toBeInTheDocument();
    expect(screen.getByText('Access logging off')).toBeInTheDocument();
    expect(
      screen.getByText('60 objects, 2.7 GiB in the last 30 days'),
    ).toBeInTheDocument();
  });

  it('keeps the other sections when one upstream fails', async () => {
    await render(database('partial-db'), {
      getJobs: async () => ({
        cronJobs: { known: false, reason: 'cluster unreachable: ETIMEDOUT' },
        jobs: { known: false, reason: 'cluster unreachable: ETIMEDOUT' },
      }),
      getStoragePolicy: async () => {
        throw new Error('S3 get lifecycle failed with HTTP 403');
      },
      getBackups: async () => ({ items: [backup(24)] }),
    });
    expect(
      await screen.findByText(
        'CronJobs could not be read: cluster unreachable: ETIMEDOUT',
      ),
    ).toBeInTheDocument();
    expect(
      await screen.findAllByText(/S3 get lifecycle failed with HTTP 403/),
    ).not.toHaveLength(0);
    expect(
      await screen.findByRole('table', { name: 'backups' }),
    ).toBeInTheDocument();
  });

  it('names the missing annotation on an unannotated entity', async () => {
    await render(database('plain-db', {}), {});
    expect(
      await screen.findAllByText(/pg-backup\.io\/backup-cronjob/),
    ).not.toHaveLength(0);
    expect(screen.queryByRole('table')).toBeNull();
  });

  it('lists drills with the measured RTO against the objective and the checklist', async () => {
    await render(database('drills-db'), {
      getDrills: async () => [
        {
          id: 'd2',
          performedAt: '2026-11-20T09:00:00.000Z',
          passed: true,
          measuredRtoMs: 5 * 3_600_000,
          rtoObjectiveMs: 4 * 3_600_000,
          backupKey: `${PREFIX}qawave_20261120_020000.dump`,
          recordedBy: 'user:default/alice',
          checklist: [
            { phase: 'pre', item: 'Notify stakeholders', done: true },
            { phase: 'post', item: 'Document the recovery time', done: false },
          ],
          notes: 'Download was the slow part',
        },
      ],
    });
    const rows = within(await screen.findByRole('table', { name: 'drills' }))
      .getAllByRole('row')
      .slice(1);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toHaveTextContent('2026-11-20 09:00');
    expect(rows[0]).toHaveTextContent('passed');
    expect(rows[0]).toHaveTextContent('5h of 4h (exceeded)');
    expect(rows[0]).toHaveTextContent('qawave_20261120_020000.dump');
    expect(rows[0]).toHaveTextContent('1 of 2 done');
    expect(rows[0]).toHaveTextContent('Download was the slow part');
  });
});
