import fs from 'node:fs';
import path from 'node:path';
import {
  coreServices,
  createServiceFactory,
  LoggerService,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { JsonObject } from '@backstage/types';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import permissionPlugin from '@backstage/plugin-permission-backend';
import request from 'supertest';
import { pgBackupPlugin } from './plugin';
import { TestWorld, USERS, testPolicyModule } from './__testUtils__/testWorld';

jest.setTimeout(120_000);

/** A logger service recording every warning of every plugin. */
function recordingLoggers() {
  const warnings: string[] = [];
  const logger = (): LoggerService => ({
    error: () => {},
    warn: message => {
      warnings.push(message);
    },
    info: () => {},
    debug: () => {},
    child: () => logger(),
  });
  return {
    warnings,
    factory: createServiceFactory({
      service: coreServices.logger,
      deps: {},
      factory: () => logger(),
    }),
  };
}

/**
 * The backend as an adopter's portal configures it: no `pgBackup` section, and a Kubernetes
 * plugin config with an `aws` cluster and a `gke` locator beside the cluster pg-backup uses.
 */
describe('pg-backup in a portal with other Kubernetes clusters and no pgBackup section', () => {
  let world: TestWorld;
  let backend: Awaited<ReturnType<typeof startTestBackend>>;
  const loggers = recordingLoggers();

  beforeAll(async () => {
    world = await TestWorld.start();
    const config = world.config() as any;
    delete config.pgBackup;
    config.kubernetes.clusterLocatorMethods[0].clusters.push({
      name: 'eks-prod',
      url: 'https://eks.invalid',
      authProvider: 'aws',
    });
    config.kubernetes.clusterLocatorMethods.push({
      type: 'gke',
      projectId: 'some-project',
    });
    const awsEntities = path.join(world.dir, 'aws-entities.yaml');
    fs.writeFileSync(
      awsEntities,
      JSON.stringify({
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Resource',
        metadata: {
          name: 'eks-db',
          annotations: {
            'pg-backup.io/cluster': 'eks-prod',
            'pg-backup.io/namespace': 'qawave',
            'pg-backup.io/backup-cronjob': 'postgresql-backup',
            'pg-backup.io/bucket': 'qawave-backups',
          },
        },
        spec: { type: 'database', owner: USERS.owner },
      }),
    );
    config.catalog.locations.push({ type: 'file', target: awsEntities });
    backend = await startTestBackend({
      features: [
        pgBackupPlugin,
        catalogPlugin,
        permissionPlugin,
        testPolicyModule,
        loggers.factory,
        mockServices.rootConfig.factory({ data: config as JsonObject }),
      ],
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await world?.stop();
  });

  async function health(name: string) {
    const url = `/api/pg-backup/entities/resource/default/${name}/health`;
    const until = Date.now() + 30_000;
    for (;;) {
      const res = await request(backend.server)
        .get(url)
        .set('Authorization', mockCredentials.user.header(USERS.owner));
      if (res.status !== 404 || Date.now() > until) return res;
      await new Promise(r => setTimeout(r, 100));
    }
  }

  it('boots, and warns once about each cluster and locator it skips', () => {
    const skipped = loggers.warnings.filter(w =>
      w.startsWith('pg-backup skips'),
    );
    expect(skipped).toEqual([
      "pg-backup skips cluster 'eks-prod': it uses authProvider 'aws', which pg-backup does not support; it reaches clusters with authProvider 'serviceAccount' only",
      "pg-backup skips kubernetes.clusterLocatorMethods[1] of type 'gke': it reads clusters of type 'config' only",
    ]);
  });

  it('evaluates a database on the cluster it uses, with default settings', async () => {
    const res = await health('qawave-postgresql');
    expect(res.status).toBe(200);
    expect(res.body.partial).toBe(false);
    expect(res.body.health.recoveryPoint.key).toBe(world.keys[0]);
    expect(res.body.health.rpoMet).toBe(true);
  });

  it('answers a database on a skipped cluster with unknown health naming the cluster and its auth provider', async () => {
    const res = await health('eks-db');
    expect(res.status).toBe(200);
    expect(res.body.health.status).toBe('unknown');
    const unavailable = res.body.health.findings.filter(
      (f: { code: string }) => f.code === 'fact-unavailable',
    );
    expect(unavailable.map((f: { subject: string }) => f.subject)).toEqual(
      expect.arrayContaining(['cronJobs', 'jobs']),
    );
    expect(unavailable[0].message).toMatch(
      /cluster 'eks-prod' uses authProvider 'aws', which pg-backup does not support/,
    );
  });
});
