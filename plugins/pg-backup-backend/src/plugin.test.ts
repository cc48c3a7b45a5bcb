import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { JsonObject } from '@backstage/types';
import { BatchV1Api } from '@kubernetes/client-node';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import permissionPlugin from '@backstage/plugin-permission-backend';
import request from 'supertest';
import { pgBackupPlugin } from './plugin';
import {
  TestWorld,
  USERS,
  recordingAuditor,
  recordingNotifications,
  testPolicyModule,
} from './__testUtils__/testWorld';
import { manualScheduler } from './__testUtils__/testBackend';

jest.setTimeout(120_000);

const QAWAVE = '/api/pg-backup/entities/resource/default/qawave-postgresql';
const ORDERS = '/api/pg-backup/entities/resource/default/orders-postgresql';
const as = (user: string) => mockCredentials.user.header(user);

async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > until) return value;
    await new Promise(r => setTimeout(r, 100));
  }
}

describe('pg-backup backend against the sandbox cluster and S3', () => {
  let world: TestWorld;
  let backend: Awaited<ReturnType<typeof startTestBackend>>;
  let server: any;
  const scheduler = manualScheduler();
  const notifications = recordingNotifications();
  const auditor = recordingAuditor();

  beforeAll(async () => {
    world = await TestWorld.start();
    backend = await startTestBackend({
      features: [
        pgBackupPlugin,
        catalogPlugin,
        permissionPlugin,
        testPolicyModule,
        mockServices.rootConfig.factory({ data: world.config() as JsonObject }),
        scheduler.factory({ skipTaskRunOnStartup: true }),
        notifications.factory,
        auditor.factory,
      ],
    });
    server = backend.server;
    // The catalog reads the entities file asynchronously.
    await eventually(
      () =>
        request(server)
          .get(`${QAWAVE}/health`)
          .set('Authorization', as(USERS.owner)),
      r => r.status !== 404,
      30_000,
    );
  });

  /** Each GET (as the owner) is refused with the status and an error message matching. */
  async function expectRefusals(cases: Array<[string, number, RegExp]>) {
    for (const [url, status, message] of cases) {
      const res = await request(server)
        .get(url)
        .set('Authorization', as(USERS.owner));
      expect({ url, status: res.status }).toEqual({ url, status });
      expect(res.body.error.message).toMatch(message);
    }
  }

  /** Polls a qawave Job's route, as the card does, until it has succeeded (at most 20 s). */
  const jobSucceeded = (job: string) =>
    eventually(
      () =>
        request(server)
          .get(`${QAWAVE}/jobs/${job}`)
          .set('Authorization', as(USERS.owner)),
      r => r.body.state === 'succeeded',
      20_000,
    );

  afterAll(async () => {
    await backend?.stop();
    await world?.stop();
  });

  it('evaluates health from the cluster and S3, with security findings', async () => {
    const res = await request(server)
      .get(`${QAWAVE}/health`)
      .set('Authorization', as(USERS.owner));
    expect(res.status).toBe(200);
    const { health, partial } = res.body;
    expect(partial).toBe(false);
    expect(health.recoveryPoint.key).toBe(world.keys[0]);
    expect(health.rpoMet).toBe(true);
    const codes = health.findings.map((f: { code: string }) => f.code);
    expect(codes).toEqual(
      expect.arrayContaining([
        'last-job-failed',
        'plain-http-endpoint',
        'access-logging-disabled',
        'backup-never-verified',
        'drill-never-run',
      ]),
    );
    expect(codes).not.toContain('retention-missing');
    expect(codes).not.toContain('encryption-missing');
    expect(health.status).toBe('critical');
    expect(JSON.stringify(res.body)).not.toContain('must-never-leak');
  });

  it('answers the first fleet request after a start by evaluating the fleet, not with an empty list', async () => {
    const res = await request(server)
      .get('/api/pg-backup/fleet')
      .set('Authorization', as(USERS.owner));
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(4);
    expect(res.body.refreshedAt).toBeDefined();
  });

  it('turns an upstream refusal into unknown with the reason, never a crash', async () => {
    const res = await request(server)
      .get(`${ORDERS}/health`)
      .set('Authorization', as(USERS.owner));
    expect(res.status).toBe(200);
    expect(res.body.partial).toBe(true);
    // Its backups are fine, but what cannot be read can never be green.
    expect(res.body.health.status).toBe('unknown');
    const unavailable = res.body.health.findings.filter(
      (f: { code: string }) => f.code === 'fact-unavailable',
    );
    expect(unavailable.map((f: { subject: string }) => f.subject)).toEqual(
      expect.arrayContaining(['cronJobs', 'jobs']),
    );
    expect(unavailable[0].message).toMatch(/HTTP 403/);
  });

  it('pages backups newest first with manifest facts, and validates the cursor', async () => {
    const first = await request(server)
      .get(`${QAWAVE}/backups?limit=5`)
      .set('Authorization', as(USERS.owner));
    expect(first.status).toBe(200);
    expect(first.body.items.map((b: { key: string }) => b.key)).toEqual(
      world.keys.slice(0, 5),
    );
    expect(first.body.items[0]).toMatchObject({
      complete: true,
      sha256: '0'.repeat(64),
      encryption: 'AES256',
      tableCount: 3,
      flywayVersion: '7',
      verification: 'unverified',
      size: 2000,
    });
    expect(first.body.items[3]).toMatchObject({ complete: false });
    expect(first.body.items[3].sha256).toBeUndefined();
    const second = await request(server)
      .get(`${QAWAVE}/backups`)
      .query({ limit: 5, cursor: first.body.nextCursor })
      .set('Authorization', as(USERS.owner));
    expect(second.body.items.map((b: { key: string }) => b.key)).toEqual(
      world.keys.slice(5, 10),
    );
    const last = await request(server)
      .get(`${QAWAVE}/backups`)
      .query({ limit: 5, cursor: second.body.nextCursor })
      .set('Authorization', as(USERS.owner));
    expect(last.body.items.map((b: { key: string }) => b.key)).toEqual(
      world.keys.slice(10),
    );
    expect(last.body.nextCursor).toBeUndefined();

    for (const [query, message] of [
      [{ cursor: '../other/x.dump' }, /not under this database's prefix/],
      [{ cursor: 'postgresql/daily/../../x.dump' }, /cursor/],
      [{ limit: 0 }, /limit must be at least 1/],
      [{ limit: 'lots' }, /limit must be a number/],
    ] as const) {
      const bad = await request(server)
        .get(`${QAWAVE}/backups`)
        .query(query)
        .set('Authorization', as(USERS.owner));
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toMatch(message);
    }
  });

  it('lists CronJobs and Jobs with the failure classified from the termination message or log', async () => {
    const res = await eventually(
      () =>
        request(server)
          .get(`${QAWAVE}/jobs`)
          .set('Authorization', as(USERS.owner)),
      r => r.body.jobs?.value?.[0]?.state === 'failed',
    );
    expect(res.status).toBe(200);
    expect(res.body.cronJobs.value[0]).toMatchObject({
      name: 'postgresql-backup',
      schedule: '0 2 * * *',
      suspend: false,
    });
    expect(Date.parse(res.body.cronJobs.value[0].nextRun)).toBeGreaterThan(
      Date.now(),
    );
    const failed = res.body.jobs.value.find(
      (j: { name: string }) => j.name === 'postgresql-backup-29000000',
    );
    expect(failed.failure.kind).toBe('s3-credentials');
    expect(failed.failure.evidence).toContain('InvalidAccessKeyId');
    expect(failed.pods).toHaveLength(1);
  });

  it('serves the log of a job of the entity only, with validated names', async () => {
    const log = await request(server)
      .get(`${QAWAVE}/jobs/postgresql-backup-29000000/logs?tailLines=10`)
      .set('Authorization', as(USERS.owner));
    expect(log.status).toBe(200);
    expect(log.text).toContain('backup: uploading');
    expect(log.headers['x-pod-name']).toMatch(/^postgresql-backup-29000000-/);

    const followed = await request(server)
      .get(`${QAWAVE}/jobs/postgresql-backup-29000000/logs?follow=true`)
      .set('Authorization', as(USERS.owner));
    expect(followed.status).toBe(200);
    expect(followed.text).toContain('InvalidAccessKeyId');

    const cases: Array<[string, number, RegExp]> = [
      [
        `${QAWAVE}/jobs/not-ours/logs`,
        404,
        /not a job of resource:default\/qawave-postgresql/,
      ],
      [`${QAWAVE}/jobs/Bad_Name/logs`, 400, /invalid job name/],
      [
        `${QAWAVE}/jobs/postgresql-backup-29000000/logs?tailLines=-1`,
        400,
        /tailLines must be at least 0/,
      ],
      [
        `${QAWAVE}/jobs/postgresql-backup-29000000/logs?pod=kube-apiserver`,
        404,
        /is not a pod of job/,
      ],
      [
        `${QAWAVE}/jobs/postgresql-backup-29000000/logs?follow=maybe`,
        400,
        /follow must be/,
      ],
    ];
    await expectRefusals(cases);
  });

  it('reports the storage policy and usage in the retention window', async () => {
    const res = await request(server)
      .get(`${QAWAVE}/storage`)
      .set('Authorization', as(USERS.owner));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      bucket: 'qawave-backups',
      prefix: 'postgresql/daily/',
      expirationDays: 30,
      defaultEncryption: 'AES256',
      versioning: 'Enabled',
      accessLogging: false,
      objectCount: 23,
      windowDays: 30,
    });
    expect(res.body.lifecycleRules).toEqual([
      expect.objectContaining({
        prefix: 'postgresql/daily/',
        enabled: true,
        expirationDays: 30,
        coversBackups: true,
      }),
    ]);
    expect(JSON.stringify(res.body)).not.toMatch(/sandbox-secret/);
    // Where the bucket is reached is the backend's business, not every health reader's.
    expect(res.body).not.toHaveProperty('endpoint');
    expect(JSON.stringify(res.body)).not.toContain(world.s3.endpoint);
  });

  it('serves the fleet from scheduled snapshots, filtered, and notifies owners once', async () => {
    await scheduler.triggerTask('pg-backup-refresh-fleet-health');
    const res = await request(server)
      .get('/api/pg-backup/fleet')
      .set('Authorization', as(USERS.owner));
    expect(res.status).toBe(200);
    const byRef = Object.fromEntries(
      res.body.items.map((i: { entityRef: string }) => [i.entityRef, i]),
    );
    expect(Object.keys(byRef).sort()).toEqual([
      'resource:default/broken-db',
      'resource:default/elsewhere-db',
      'resource:default/orders-postgresql',
      'resource:default/qawave-postgresql',
    ]);
    expect(byRef['resource:default/qawave-postgresql']).toMatchObject({
      status: 'critical',
      owner: USERS.owner,
      system: 'system:default/qawave',
      rpoMet: true,
      rpoMs: 26 * 3_600_000,
      rtoMs: 4 * 3_600_000,
      lastBackupSize: (
        await request(server)
          .get(`${QAWAVE}/backups?limit=1`)
          .set('Authorization', as(USERS.owner))
      ).body.items[0].size,
    });
    expect(byRef['resource:default/broken-db'].status).toBe('unknown');
    expect(byRef['resource:default/broken-db'].summary).toMatch(
      /pg-backup\.io\/rpo/,
    );
    expect(res.body.counts.critical).toBeGreaterThanOrEqual(1);
    expect(res.body.items[0].status).toBe('critical');

    const unknown = await request(server)
      .get('/api/pg-backup/fleet?status=unknown')
      .set('Authorization', as(USERS.owner));
    expect(
      unknown.body.items.every(
        (i: { status: string }) => i.status === 'unknown',
      ),
    ).toBe(true);
    expect(unknown.body.items.length).toBeGreaterThanOrEqual(2);
    const owned = await request(server)
      .get(`/api/pg-backup/fleet?owner=${USERS.other}`)
      .set('Authorization', as(USERS.owner));
    expect(
      owned.body.items.map((i: { entityRef: string }) => i.entityRef),
    ).toEqual(['resource:default/orders-postgresql']);
    const bad = await request(server)
      .get('/api/pg-backup/fleet?status=purple')
      .set('Authorization', as(USERS.owner));
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/"purple" is not one of/);

    const critical = notifications.sent.filter(
      n => n.payload.scope === 'critical:resource:default/qawave-postgresql',
    );
    expect(critical).toHaveLength(1);
    expect(critical[0].recipients).toEqual({
      type: 'entity',
      entityRef: USERS.owner,
    });
    await scheduler.triggerTask('pg-backup-refresh-fleet-health');
    expect(
      notifications.sent.filter(
        n => n.payload.scope === 'critical:resource:default/qawave-postgresql',
      ),
    ).toHaveLength(1);
  });

  it('backs up now exactly like kubectl create job --from, once at a time, and only when allowed', async () => {
    const denied = await request(server)
      .post(`${QAWAVE}/backups`)
      .set('Authorization', as(USERS.noLogs));
    expect(denied.status).toBe(403);

    const started = await request(server)
      .post(`${QAWAVE}/backups`)
      .set('Authorization', as(USERS.owner));
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({
      namespace: 'qawave',
      cronJob: 'postgresql-backup',
    });
    const again = await request(server)
      .post(`${QAWAVE}/backups`)
      .set('Authorization', as(USERS.owner));
    expect(again.status).toBe(409);
    expect(again.body.error.message).toContain(started.body.job);

    const audited = auditor.events.filter(e => e.eventId === 'backup-trigger');
    // Refused, started, and refused as a duplicate: all three are audited.
    expect(audited).toEqual([
      {
        eventId: 'backup-trigger',
        hasRequest: true,
        meta: { entityRef: 'resource:default/qawave-postgresql' },
        outcome: 'fail',
        outcomeMeta: undefined,
      },
      {
        eventId: 'backup-trigger',
        hasRequest: true,
        meta: { entityRef: 'resource:default/qawave-postgresql' },
        outcome: 'success',
        outcomeMeta: {
          cluster: undefined,
          namespace: 'qawave',
          cronJob: 'postgresql-backup',
          job: started.body.job,
        },
      },
      expect.objectContaining({ outcome: 'fail' }),
    ]);

    // An independent client sees what kubectl create job --from would have made.
    const batch = world.adminKubeConfig().makeApiClient(BatchV1Api);
    const job = await batch.readNamespacedJob({
      namespace: 'qawave',
      name: started.body.job,
    });
    expect(job.metadata?.annotations).toMatchObject({
      'cronjob.kubernetes.io/instantiate': 'manual',
      'pg-backup.io/requested-by': USERS.owner,
    });
    expect(job.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'CronJob',
      name: 'postgresql-backup',
      controller: true,
    });
    expect(job.metadata?.labels).toMatchObject({
      'app.kubernetes.io/name': 'postgresql-backup',
    });

    // The job's state reaches the client by polling its route.
    const done = await jobSucceeded(started.body.job);
    expect(done.body).toMatchObject({
      state: 'succeeded',
      manual: true,
      cronJob: 'postgresql-backup',
    });
  });

  it('rechecks a database after "Back up now" until its Job has finished, so the fleet shows the outcome', async () => {
    await scheduler.triggerTask('pg-backup-refresh-fleet-health');
    const fleetEntry = async (ref: string) =>
      (
        await request(server)
          .get('/api/pg-backup/fleet')
          .set('Authorization', as(USERS.owner))
      ).body.items.find((i: { entityRef: string }) => i.entityRef === ref);
    const QAWAVE_REF = 'resource:default/qawave-postgresql';
    const ORDERS_REF = 'resource:default/orders-postgresql';
    const before = await fleetEntry(QAWAVE_REF);
    const ordersBefore = await fleetEntry(ORDERS_REF);

    expect(before.findingCodes).toContain('last-job-failed');

    const started = await request(server)
      .post(`${QAWAVE}/backups`)
      .set('Authorization', as(USERS.owner));
    expect(started.status).toBe(202);
    await jobSucceeded(started.body.job);
    // A namespace's Job list is shared for 5 s (cache.clusterListTtl): let it expire.
    await new Promise(r => setTimeout(r, 5_500));
    await scheduler.triggerTask('pg-backup-recheck-snapshots');
    const after = await fleetEntry(QAWAVE_REF);
    expect(Date.parse(after.evaluatedAt)).toBeGreaterThan(
      Date.parse(before.evaluatedAt),
    );
    // The manual backup succeeded after the failed scheduled one: no longer "last job failed".
    expect(after.findingCodes).not.toContain('last-job-failed');
    expect(after.findingCodes).not.toContain('job-running');
    expect(after.summary).not.toBe(before.summary);
    // Only what is due is rechecked: the orders database, whose CronJobs cannot be read, has no
    // schedule to follow and keeps its snapshot.
    expect((await fleetEntry(ORDERS_REF)).evaluatedAt).toBe(
      ordersBefore.evaluatedAt,
    );
  });

  it('enforces every permission on every route', async () => {
    const routes: Array<[string, string]> = [
      ['get', `${QAWAVE}/health`],
      ['get', `${QAWAVE}/backups`],
      ['get', `${QAWAVE}/jobs`],
      ['get', `${QAWAVE}/jobs/postgresql-backup-29000000`],
      ['get', `${QAWAVE}/jobs/postgresql-backup-29000000/logs`],
      ['get', `${QAWAVE}/storage`],
      ['post', `${ORDERS}/backups`],
      ['get', '/api/pg-backup/fleet'],
    ];
    const expected: Record<string, number[]> = {
      [USERS.owner]: [200, 200, 200, 200, 200, 200, 503, 200],
      [USERS.other]: [200, 200, 200, 200, 200, 200, 503, 200],
      [USERS.noLogs]: [200, 200, 200, 200, 403, 200, 403, 200],
      [USERS.nobody]: [403, 403, 403, 403, 403, 403, 403, 403],
    };
    for (const [user, statuses] of Object.entries(expected)) {
      const got: number[] = [];
      for (const [method, url] of routes) {
        const res = await (request(server) as any)
          [method](url)
          .set('Authorization', as(user));
        got.push(res.status);
      }
      expect({ user, got }).toEqual({ user, got: statuses });
    }
    for (const [method, url] of routes) {
      const res = await (request(server) as any)
        [method](url)
        .set('Authorization', 'Bearer not-a-token');
      expect({ url, status: res.status }).toEqual({ url, status: 401 });
    }
  });

  // eslint-disable-next-line jest/expect-expect -- expectRefusals asserts
  it('refuses targets that are missing, not annotated or malformed with 400/404, never 500', async () => {
    const cases: Array<[string, number, RegExp]> = [
      [
        '/api/pg-backup/entities/resource/default/plain-db/health',
        404,
        /has no pg-backup annotations/,
      ],
      [
        '/api/pg-backup/entities/resource/default/ghost-db/health',
        404,
        /not found/,
      ],
      [
        '/api/pg-backup/entities/resource/default/broken-db/health',
        400,
        /pg-backup\.io\/rpo/,
      ],
      [
        '/api/pg-backup/entities/resource/default/elsewhere-db/health',
        400,
        /cluster 'nope' is not configured/,
      ],
      [
        '/api/pg-backup/entities/resource/default/%2e%2e/health',
        400,
        /invalid entity name/,
      ],
      [
        '/api/pg-backup/entities/re$ource/default/x/health',
        400,
        /invalid entity kind/,
      ],
    ];
    await expectRefusals(cases);
  });
  it('acts for people only: services are refused, trusted ones may read job logs', async () => {
    // Last in the file: its refused trigger is audited, and earlier tests count audit events.
    const untrusted = mockCredentials.service.header({
      onBehalfOf: mockCredentials.service('plugin:catalog'),
      targetPluginId: 'pg-backup',
    });
    for (const [method, url] of [
      ['get', `${QAWAVE}/health`],
      ['get', `${QAWAVE}/backups`],
      ['get', `${QAWAVE}/jobs`],
      ['get', `${QAWAVE}/storage`],
      ['get', '/api/pg-backup/fleet'],
      ['post', `${QAWAVE}/backups`],
      ['get', `${QAWAVE}/jobs/postgresql-backup-29000000/logs`],
    ] as const) {
      const res = await request(server)
        [method](url)
        .set('Authorization', untrusted);
      expect({ method, url, status: res.status }).toEqual({
        method,
        url,
        status: 403,
      });
    }
    const scaffolder = mockCredentials.service.header({
      onBehalfOf: mockCredentials.service('plugin:scaffolder'),
      targetPluginId: 'pg-backup',
    });
    const log = await request(server)
      .get(`${QAWAVE}/jobs/postgresql-backup-29000000/logs?tailLines=10`)
      .set('Authorization', scaffolder);
    expect(log.status).toBe(200);
    expect(log.text).toContain('backup: uploading');
    const health = await request(server)
      .get(`${QAWAVE}/health`)
      .set('Authorization', scaffolder);
    expect(health.status).toBe(403);
  });
});
