import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import permissionPlugin from '@backstage/plugin-permission-backend';
import { JsonObject } from '@backstage/types';
import { RecoveryOperation } from '@pg-backup/backstage-plugin-pg-backup-common';
import request from 'supertest';
import { pgBackupPlugin } from '../plugin';
import {
  DEPLOYMENTS,
  RecoveryWorld,
  sql,
} from '../__testUtils__/recoveryWorld';
import { USERS, testPolicyModule } from '../__testUtils__/testWorld';
import { waitForCatalog } from '../__testUtils__/testBackend';

jest.setTimeout(180_000);

const SHOP = '/api/pg-backup/entities/resource/default/shop-postgresql';
const as = (user: string) => mockCredentials.user.header(user);

// Two backends, one after the other, on the same PostgreSQL plugin database: the first stops
// in the middle of an emergency recovery, the second resumes the operation it finds.
// src/resilience/backendRestart.test.ts kills backends with SIGKILL instead.
describe('an operation left running by a backend that stopped', () => {
  let world: RecoveryWorld;
  const prefix = `pgb_restart_${Math.random().toString(36).slice(2, 8)}_`;

  beforeAll(async () => {
    world = await RecoveryWorld.start();
  });

  afterAll(async () => {
    for (const { datname } of await sql<{ datname: string }>(
      'postgres',
      `SELECT datname FROM pg_database WHERE datname LIKE '${prefix}%'`,
    ))
      await sql('postgres', `DROP DATABASE "${datname}" WITH (FORCE)`);
    await world?.stop();
  });

  const startBackend = async (clusterUrl?: string) => {
    const config = world.config() as any;
    if (clusterUrl)
      config.kubernetes.clusterLocatorMethods[0].clusters[0].url = clusterUrl;
    const backend = await startTestBackend({
      features: [
        pgBackupPlugin,
        catalogPlugin,
        permissionPlugin,
        testPolicyModule,
        mockServices.rootConfig.factory({
          data: {
            ...config,
            backend: {
              database: {
                client: 'pg',
                connection: { host: '127.0.0.1', port: 5432, user: 'postgres' },
                prefix,
              },
            },
          } as JsonObject,
        }),
      ],
    });
    await waitForCatalog(backend.server, `${SHOP}/health`);
    return backend;
  };

  const read = async (server: any, id: string): Promise<RecoveryOperation> =>
    (
      await request(server)
        .get(`/api/pg-backup/operations/${id}`)
        .set('Authorization', as(USERS.owner))
    ).body;

  /** Starts an approved emergency recovery on `server`; returns its id. */
  const startEmergency = async (server: any): Promise<string> => {
    const requested = await request(server)
      .post(`${SHOP}/approvals`)
      .set('Authorization', as(USERS.owner))
      .send({ kind: 'emergency', reason: 'restart test' });
    await request(server)
      .post(`/api/pg-backup/approvals/${requested.body.id}/decision`)
      .set('Authorization', as(USERS.other))
      .send({ decision: 'approve' });
    const started = await request(server)
      .post(`${SHOP}/operations`)
      .set('Authorization', as(USERS.owner))
      .send({
        kind: 'emergency',
        approvalId: requested.body.id,
        confirmation: world.database,
      });
    expect(started.status).toBe(202);
    return started.body.id;
  };

  const ended = async (server: any, id: string) => {
    const until = Date.now() + 60_000;
    let op = await read(server, id);
    while (!['failed', 'succeeded', 'cancelled'].includes(op.state)) {
      if (Date.now() > until) break;
      await new Promise(r => setTimeout(r, 100));
      op = await read(server, id);
    }
    return op;
  };

  it('resumes it to its end: Deployments scaled back to the recorded counts, lock released', async () => {
    const first = await startBackend();
    const id = await startEmergency(first.server);
    let op = await read(first.server, id);
    for (let i = 0; i < 400 && !op.recordedReplicas; i++) {
      await new Promise(r => setTimeout(r, 25));
      op = await read(first.server, id);
    }
    expect(op.recordedReplicas).toEqual(DEPLOYMENTS);

    // The backend goes away in the middle: nothing scales the Deployments back.
    await first.stop();
    await new Promise(r => setTimeout(r, 1500));
    expect(await world.replicas()).toEqual({ backend: 0, worker: 0 });

    const second = await startBackend();
    try {
      // Both backends really share one PostgreSQL database.
      expect(
        await sql(
          `${prefix}pg-backup`,
          `SELECT state FROM pg_backup_operations WHERE id = '${id}'`,
        ),
      ).toHaveLength(1);
      op = await ended(second.server, id);
      expect(op.error).toBeUndefined();
      expect(op.state).toBe('succeeded');
      expect(op.recordedReplicas).toEqual(DEPLOYMENTS);
      expect(op.steps.every(s => s.state === 'succeeded')).toBe(true);
      expect(op.steps.find(s => s.id === 'scale-back')).toMatchObject({
        state: 'succeeded',
        detail: 'scaled back to backend 3, worker 2',
      });
      expect(await world.replicas()).toEqual(DEPLOYMENTS);
      // No Job of the operation is left running.
      for (const job of await world.operationJobs(id))
        expect(
          job.status?.conditions?.some(
            c => ['Complete', 'Failed'].includes(c.type) && c.status === 'True',
          ),
        ).toBe(true);
      // The lock is free again.
      const next = await request(second.server)
        .post(`${SHOP}/operations`)
        .set('Authorization', as(USERS.owner))
        .send({ kind: 'verify' });
      expect(next.status).toBe(202);
      while (
        !['failed', 'succeeded', 'cancelled'].includes(
          (await read(second.server, next.body.id)).state,
        )
      )
        await new Promise(r => setTimeout(r, 100));
      expect((await read(second.server, next.body.id)).state).toBe('succeeded');
    } finally {
      await second.stop();
    }
  });

  it('resumes it through a cluster outage at the moment it resumes, instead of failing it while its Job may run', async () => {
    // A review: the resumed operation asked once, with no retry, whether its Job
    // still existed; an unreachable cluster at that moment ended the operation (and scaled the
    // application back up) while the restore Job could still be writing into the database.
    const k8s = await world.clusterFaultProxy(1);
    try {
      const first = await startBackend();
      const id = await startEmergency(first.server);
      // stop the first backend while its restore Job is the running step
      let op = await read(first.server, id);
      for (let i = 0; i < 800; i++) {
        const running = op.steps.find(s => s.state === 'running');
        if (
          running?.id === 'restore' &&
          (await world.operationJobs(id)).length > 0
        )
          break;
        await new Promise(r => setTimeout(r, 25));
        op = await read(first.server, id);
      }
      expect(op.steps.find(s => s.state === 'running')?.id).toBe('restore');
      await first.stop();

      // the next backend starts, and resumes the operation, while the cluster cannot be reached
      k8s.disappear();
      const second = await startBackend(k8s.url);
      try {
        await new Promise(r => setTimeout(r, 3_000));
        k8s.reappear();
        op = await ended(second.server, id);
        expect({ state: op.state, error: op.error }).toEqual({
          state: 'succeeded',
          error: undefined,
        });
        expect(await world.replicas()).toEqual(DEPLOYMENTS);
        expect(k8s.log.some(r => r.fault === 'disappeared')).toBe(true);
      } finally {
        await second.stop();
      }
    } finally {
      await k8s.stop();
    }
  });
});
