/*
 * The smallest check of the helper with the real pg-backup backend on the sandbox cluster: a
 * step of this module, run by the real scaffolder on a user's behalf, reads the database's
 * CronJobs through the real backend's routes (GET .../jobs). The recovery templates run end to
 * end in endToEnd.test.ts.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
// eslint-disable-next-line @backstage/no-mixed-plugin-imports -- the test hosts the real backend
import pgBackupPlugin from '@pg-backup/backstage-plugin-pg-backup-backend';
import { Sandbox, portalAppConfig, portalGrant } from '@internal/sandbox';
import { JsonObject } from '@backstage/types';
import { startScaffolderTestBackend } from './__testUtils__/startScaffolderTestBackend';

jest.setTimeout(120_000);

const ALICE = 'user:default/alice';

function kubectlApply(kubeconfig: string, object: object): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'kubectl',
      ['--kubeconfig', kubeconfig, 'apply', '--validate=false', '-f', '-'],
      error => (error ? reject(error) : resolve()),
    );
    child.stdin!.end(JSON.stringify(object));
  });
}

describe('the pg-backup actions against the real pg-backup backend', () => {
  let sandbox: Sandbox;
  let dir: string;
  let portal: Awaited<ReturnType<typeof startScaffolderTestBackend>>;

  beforeAll(async () => {
    const grant = portalGrant([
      { namespace: 'qawave', deployments: ['backend'] },
    ]);
    sandbox = await Sandbox.start({ namespaces: ['qawave'], tokens: [grant] });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pg-backup-scaffolder-'));
    // Asynchronously: the sandbox's API server answers from this process.
    await kubectlApply(sandbox.writeKubeconfig(), {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'postgresql-backup', namespace: 'qawave' },
      spec: {
        schedule: '0 2 * * *',
        jobTemplate: {
          spec: {
            template: {
              spec: {
                restartPolicy: 'Never',
                containers: [
                  {
                    name: 'agent',
                    image: 'postgres:15',
                    command: ['/bin/sh', '-c', 'echo backup'],
                  },
                ],
              },
            },
          },
        },
      },
    });
    fs.writeFileSync(
      path.join(dir, 'entities.yaml'),
      [
        {
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Resource',
          metadata: {
            name: 'qawave-postgresql',
            annotations: {
              'pg-backup.io/namespace': 'qawave',
              'pg-backup.io/backup-cronjob': 'postgresql-backup',
              'pg-backup.io/database': 'qawave',
              'pg-backup.io/bucket': 'qawave-backups',
            },
          },
          spec: { type: 'database', owner: ALICE },
        },
        {
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'User',
          metadata: { name: 'alice' },
          spec: { memberOf: [] },
        },
      ]
        .map(doc => JSON.stringify(doc))
        .join('\n---\n'),
    );
    const access = portalAppConfig({
      kubernetesUrl: sandbox.url,
      caCertificate: sandbox.caCertificate,
      token: grant.token,
      // Not reached by these routes.
      s3Endpoint: 'http://127.0.0.1:9',
      s3Region: 'us-east-1',
      s3AccessKeyId: 'unused',
      s3SecretAccessKey: 'unused',
    }) as JsonObject;
    portal = await startScaffolderTestBackend({
      pgBackup: [pgBackupPlugin],
      config: {
        ...access,
        app: { baseUrl: 'http://localhost:3000' },
        catalog: {
          locations: [
            { type: 'file', target: path.join(dir, 'entities.yaml') },
          ],
        },
        pgBackup: {
          ...(access.pgBackup as JsonObject),
          refreshInitialDelay: { hours: 1 },
          upstreamTimeout: { seconds: 5 },
        },
      },
    });
    await portal.templatesReady();
  });

  afterAll(async () => {
    await portal?.backend.stop();
    await sandbox?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("plans a backup from the database's CronJob, read through the real backend as the user", async () => {
    let res: Awaited<ReturnType<typeof portal.dryRun>> | undefined;
    // The catalog reads the entities file asynchronously.
    for (let attempt = 0; attempt < 100; attempt++) {
      res = await portal.dryRun(
        {
          apiVersion: 'scaffolder.backstage.io/v1beta3',
          kind: 'Template',
          metadata: { name: 'back-up-now' },
          spec: {
            type: 'database',
            steps: [
              {
                id: 'backup',
                name: 'Back up now',
                action: 'pg-backup:backup:create',
                input: { entityRef: 'resource:default/qawave-postgresql' },
              },
            ],
          },
        },
        {},
        ALICE,
      );
      if (res.status === 200 && !JSON.stringify(res.body).includes('404'))
        break;
      await new Promise(r => setTimeout(r, 300));
    }
    expect(res!.status).toBe(200);
    const log = res!.body.log.map(
      (l: { body: { message: string } }) => l.body.message,
    );
    expect(log.join('\n')).toContain(
      'Dry run, nothing changed: would create a Job from CronJob postgresql-backup (schedule "0 2 * * *") and wait for the new backup of resource:default/qawave-postgresql',
    );
  });
});
