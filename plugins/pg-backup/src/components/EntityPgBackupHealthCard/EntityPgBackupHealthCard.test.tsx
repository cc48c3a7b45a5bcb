import { Entity } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import {
  TestApiProvider,
  mockApis,
  renderInTestApp,
} from '@backstage/test-utils';
import userEvent from '@testing-library/user-event';
import { EntityHealthResponse } from '@pg-backup/backstage-plugin-pg-backup-common';
import { screen } from '@testing-library/react';
import { PgBackupApi, pgBackupApiRef } from '../../api/PgBackupApi';
import { EntityPgBackupHealthCard } from './EntityPgBackupHealthCard';

const HOUR = 3_600_000;

const database = (annotations: Record<string, string>): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Resource',
  metadata: { name: 'qawave-postgresql', namespace: 'default', annotations },
  spec: { type: 'database', owner: 'platform-team' },
});

const annotated = database({
  'pg-backup.io/namespace': 'qawave',
  'pg-backup.io/backup-cronjob': 'postgresql-backup',
  'pg-backup.io/database': 'qawave',
  'pg-backup.io/bucket': 'qawave-backups',
  'pg-backup.io/prefix': 'postgresql/daily/',
  'pg-backup.io/rpo': '6h',
});

// usePermission caches each decision per permission and entity ref for the whole test file, so
// every test that needs a refusal uses an entity of its own.
function render(
  entity: Entity,
  api: Partial<PgBackupApi>,
  mayTrigger: boolean = true,
) {
  const permissions = mockApis.permission({
    authorize: mayTrigger ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
  });
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [
          pgBackupApiRef,
          {
            getStoragePolicy: async () => Promise.reject(new Error('not set')),
            ...api,
          },
        ],
        [permissionApiRef, permissions],
      ]}
    >
      <EntityProvider entity={entity}>
        <EntityPgBackupHealthCard />
      </EntityProvider>
    </TestApiProvider>,
  );
}

const critical: EntityHealthResponse = {
  entityRef: 'resource:default/qawave-postgresql',
  partial: false,
  health: {
    status: 'critical',
    summary: 'Last good backup 7h ago — RPO 6h exceeded',
    recoveryPoint: {
      time: '2026-11-24T03:00:00.000Z',
      ageMs: 7 * HOUR,
      key: 'postgresql/daily/qawave_20261124_030000.dump',
      role: 'backup',
      size: 48_000_000,
    },
    rpoMet: false,
    nextRun: '2026-11-25T02:00:00.000Z',
    missedRuns: 0,
    findings: [
      {
        code: 'rpo-exceeded',
        severity: 'critical',
        message: 'Last good backup 7h ago — RPO 6h exceeded',
      },
    ],
    evaluatedAt: '2026-11-24T10:00:00.000Z',
  },
};

describe('EntityPgBackupHealthCard', () => {
  it('shows the status, the reason and the recovery point against the RPO', async () => {
    const getHealth = jest.fn(async () => critical);
    await render(annotated, { getHealth });
    expect(await screen.findByText('Critical')).toBeInTheDocument();
    expect(getHealth).toHaveBeenCalledWith(
      'resource:default/qawave-postgresql',
    );
    expect(
      screen.getAllByText('Last good backup 7h ago — RPO 6h exceeded'),
    ).toHaveLength(2);
    expect(
      screen.getByText(/Recovery point 7h old — RPO 6h/),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('progressbar', {
        name: 'recovery point age is 100% of the RPO',
      }),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/Next scheduled run: Wed, 25 Nov 2026 02:00:00 GMT/),
    ).toBeInTheDocument();
    // The finding under its severity, with a title for people and the code as its tooltip.
    const criticalFindings = screen.getByRole('list', {
      name: 'Threatens recovery',
    });
    expect(criticalFindings).toHaveTextContent(
      'Recovery point older than the RPO',
    );
    expect(screen.getByTitle('rpo-exceeded')).toHaveTextContent(
      'Recovery point older than the RPO',
    );
    expect(screen.queryByText(/critical · rpo-exceeded/)).toBeNull();
  });

  it('puts the finding that threatens recovery first, groups by severity and shows a suspended schedule instead of a next run', async () => {
    await render(annotated, {
      getHealth: async () => ({
        ...critical,
        health: {
          ...critical.health,
          summary:
            'The backup CronJob postgresql-backup is suspended: no new backups will be taken',
          nextRun: '2026-11-24T12:00:00.000Z',
          schedules: [
            {
              role: 'backup',
              cronJob: 'postgresql-backup',
              state: 'suspended',
            },
            {
              role: 'checkpoint',
              cronJob: 'postgresql-wal-checkpoint',
              state: 'scheduled',
              nextRun: '2026-11-24T12:00:00.000Z',
            },
          ],
          findings: [
            {
              code: 'cronjob-suspended',
              severity: 'critical',
              subject: 'postgresql-backup',
              message:
                'The backup CronJob postgresql-backup is suspended: no new backups will be taken',
            },
            {
              code: 'access-logging-disabled',
              severity: 'warning',
              message: 'S3 server access logging is disabled on the bucket',
            },
          ],
        },
      }),
    });
    expect(
      await screen.findByText(
        'Next backup: suspended (CronJob postgresql-backup)',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText('Next checkpoint: Tue, 24 Nov 2026 12:00:00 GMT'),
    ).toBeInTheDocument();
    expect(screen.queryByText(/Next scheduled run/)).toBeNull();
    const groups = screen
      .getAllByRole('list')
      .map(l => l.getAttribute('aria-label'));
    expect(groups).toEqual(['Threatens recovery', 'Needs attention']);
    expect(
      screen.getByRole('list', { name: 'Threatens recovery' }),
    ).toHaveTextContent('Backup schedule suspended');
    expect(
      screen.getByRole('list', { name: 'Needs attention' }),
    ).toHaveTextContent('Bucket access logging off');
  });

  it('says when facts could not be read', async () => {
    await render(annotated, {
      getHealth: async () => ({
        ...critical,
        partial: true,
        health: {
          ...critical.health,
          status: 'unknown',
          recoveryPoint: undefined,
          summary: 'Could not read Kubernetes CronJobs: HTTP 403',
        },
      }),
    });
    expect(await screen.findByText('Unknown')).toBeInTheDocument();
    expect(
      screen.getByText(
        /Could not read Kubernetes CronJobs: HTTP 403 \(some facts could not be read\)/,
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText('No recoverable backup found.'),
    ).toBeInTheDocument();
  });

  it('shows the backend error', async () => {
    const response = new Response(
      JSON.stringify({
        error: {
          name: 'NotAllowedError',
          message: 'not allowed to pg-backup.health.read',
        },
        request: { method: 'GET', url: '/x' },
        response: { statusCode: 403 },
      }),
      { status: 403, headers: { 'Content-Type': 'application/json' } },
    );
    const error = await ResponseError.fromResponse(response);
    await render(annotated, { getHealth: async () => Promise.reject(error) });
    expect(
      (await screen.findAllByText(/not allowed to pg-backup.health.read/))
        .length,
    ).toBeGreaterThan(0);
    expect(screen.queryByText('Critical')).not.toBeInTheDocument();
  });

  it('explains the missing annotation instead of calling the backend', async () => {
    const getHealth = jest.fn();
    await render(database({}), { getHealth });
    expect(
      (await screen.findAllByText(/pg-backup.io\/backup-cronjob/)).length,
    ).toBeGreaterThan(0);
    expect(screen.getByAltText('annotation is missing')).toBeInTheDocument();
    expect(getHealth).not.toHaveBeenCalled();
  });

  it('names invalid annotations instead of calling the backend', async () => {
    const getHealth = jest.fn();
    await render(
      database({
        ...annotated.metadata.annotations,
        'pg-backup.io/rpo': 'soon',
      }),
      { getHealth },
    );
    expect(await screen.findByRole('alert')).toHaveTextContent(
      /pg-backup.io\/rpo/,
    );
    expect(getHealth).not.toHaveBeenCalled();
  });

  it('hides "Back up now" from users who may not trigger a backup', async () => {
    // Another entity: usePermission caches decisions per entity ref across renders.
    const other: Entity = {
      ...annotated,
      metadata: { ...annotated.metadata, name: 'other-postgresql' },
    };
    await render(other, { getHealth: async () => critical }, false);
    expect(await screen.findByText('Critical')).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Back up now' }),
    ).not.toBeInTheDocument();
  });

  it('backs up now, follows the job until it finishes and reloads the health', async () => {
    let health = critical;
    const getHealth = jest.fn(async () => health);
    const states = ['running', 'succeeded'];
    const getJob = jest.fn(async () => ({
      name: 'postgresql-backup-manual-abc',
      state: (states.shift() ?? 'succeeded') as 'running' | 'succeeded',
      manual: true,
      pods: [],
    }));
    const triggerBackup = jest.fn(async () => ({
      namespace: 'qawave',
      job: 'postgresql-backup-manual-abc',
      cronJob: 'postgresql-backup',
    }));
    await render(annotated, { getHealth, getJob, triggerBackup }, true);
    const button = await screen.findByRole('button', { name: 'Back up now' });
    expect(
      screen.getByText(/^Last backup: Tue, 24 Nov 2026 03:00:00 GMT/),
    ).toBeInTheDocument();
    health = {
      ...critical,
      health: {
        ...critical.health,
        evaluatedAt: '2026-11-24T10:05:00.000Z',
        status: 'healthy',
        summary: 'Last good backup 0s ago — within RPO 6h',
        recoveryPoint: {
          time: '2026-11-24T10:04:00.000Z',
          ageMs: 60_000,
          key: 'postgresql/daily/qawave_20261124_100400.dump',
          role: 'backup',
          size: 48_100_000,
        },
        findings: [],
      },
    };
    await userEvent.click(button);
    expect(triggerBackup).toHaveBeenCalledWith(
      'resource:default/qawave-postgresql',
    );
    expect(
      await screen.findByText(
        'Backup job postgresql-backup-manual-abc is running…',
      ),
    ).toBeInTheDocument();
    expect(
      await screen.findByText(
        'Backup job postgresql-backup-manual-abc finished.',
        {},
        { timeout: 5000 },
      ),
    ).toBeInTheDocument();
    expect(getJob).toHaveBeenCalledWith(
      'resource:default/qawave-postgresql',
      'postgresql-backup-manual-abc',
    );
    expect(await screen.findByText('Healthy')).toBeInTheDocument();
    expect(getHealth).toHaveBeenCalledTimes(2);
    // The last-backup line is the health's recovery point, so the new backup shows with it.
    expect(
      screen.getByText(
        'Last backup: Tue, 24 Nov 2026 10:04:00 GMT · 46 MiB · not verified',
      ),
    ).toBeInTheDocument();
  });

  it('says why a backup could not be started', async () => {
    await render(
      annotated,
      {
        getHealth: async () => critical,
        triggerBackup: async () => {
          throw new Error(
            'backup job postgresql-backup-1 of resource:default/qawave-postgresql is still running',
          );
        },
      },
      true,
    );
    await userEvent.click(
      await screen.findByRole('button', { name: 'Back up now' }),
    );
    expect(await screen.findByRole('status')).toHaveTextContent(
      'Could not back up: backup job postgresql-backup-1 of resource:default/qawave-postgresql is still running',
    );
  });

  it('shows the last backup with size and verification, retention and encryption badges, and the drill cadence', async () => {
    const entity: Entity = {
      ...annotated,
      metadata: {
        ...annotated.metadata,
        annotations: {
          ...annotated.metadata.annotations,
          'pg-backup.io/retention': '30d',
          'pg-backup.io/drill-interval': '90d',
        },
      },
    };
    await render(entity, {
      getHealth: async () => ({
        ...critical,
        health: {
          ...critical.health,
          recoveryPoint: {
            time: '2026-11-24T02:00:00.000Z',
            ageMs: 8 * HOUR,
            key: 'postgresql/daily/qawave_20261124_020000.dump',
            role: 'backup',
            size: 3 * 1024 * 1024,
          },
        },
        lastVerification: {
          backupKey: 'postgresql/daily/qawave_20261124_020000.dump',
          verifiedAt: '2026-11-24T04:00:00.000Z',
          passed: true,
        },
        lastDrillTime: '2026-09-01T10:00:00.000Z',
        lastDrill: {
          performedAt: '2026-09-01T10:00:00.000Z',
          passed: true,
          measuredRtoMs: 70 * 60_000,
        },
      }),
      getStoragePolicy: async () => ({
        bucket: 'qawave-backups',
        prefix: 'postgresql/daily/',
        lifecycleRules: [],
        expirationDays: 30,
        defaultEncryption: 'AES256',
        versioning: 'Enabled',
        accessLogging: true,
        objectCount: 60,
        totalBytes: 1,
        windowDays: 30,
      }),
    });
    expect(
      await screen.findByText(
        'Last backup: Tue, 24 Nov 2026 02:00:00 GMT · 3.0 MiB · verification passed',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText('Retention 30d (objective 30d)'),
    ).toBeInTheDocument();
    expect(screen.getByText('Encrypted (AES256)')).toBeInTheDocument();
    expect(
      screen.getByText(
        'Last drill: Tue, 01 Sep 2026 10:00:00 GMT · passed · RTO 1h 10m of 4h · next due Mon, 30 Nov 2026 10:00:00 GMT',
      ),
    ).toBeInTheDocument();
  });

  it('keeps the status when the backups and storage policy cannot be read', async () => {
    await render(annotated, {
      getHealth: async () => ({
        ...critical,
        partial: true,
        health: {
          ...critical.health,
          recoveryPoint: undefined,
          findings: [
            {
              code: 'fact-unavailable',
              severity: 'unknown',
              subject: 'backups',
              message:
                'Could not read backup objects in S3: S3 list failed with HTTP 403',
            },
            ...critical.health.findings,
          ],
        },
      }),
      getStoragePolicy: async () => {
        throw new Error('S3 get lifecycle failed with HTTP 403');
      },
    });
    expect(await screen.findByText('Critical')).toBeInTheDocument();
    expect(
      await screen.findByText(
        'Last backup: could not be read (S3 list failed with HTTP 403)',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'Storage policy could not be read (S3 get lifecycle failed with HTTP 403)',
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('Last drill: none recorded')).toBeInTheDocument();
  });
});
