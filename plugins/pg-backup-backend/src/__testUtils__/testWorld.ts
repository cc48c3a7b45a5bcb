import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import {
  coreServices,
  createBackendModule,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { mockServices } from '@backstage/backend-test-utils';
import { notificationService } from '@backstage/plugin-notifications-node';
import {
  AuthorizeResult,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { formatBackupKey } from '@pg-backup/backstage-plugin-pg-backup-common';
import {
  S3Sandbox,
  Sandbox,
  TokenGrant,
  portalAppConfig,
  portalGrant,
  seedBucket,
} from '@internal/sandbox';
import { BatchV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { registerTestSecrets } from './testSecrets';

export const DAY_MS = 86_400_000;
/** The value in the seeded `backup-s3-credentials` Secret: no response or log may show it. */
export const CREDENTIALS_SECRET_VALUE = 'must-never-leak';
export const BUCKET = 'qawave-backups';
export const PREFIX = 'postgresql/daily/';

/** Users of the permission matrix. */
export const USERS = {
  owner: 'user:default/alice',
  other: 'user:default/bob',
  noLogs: 'user:default/viewer',
  nobody: 'user:default/nobody',
};

/**
 * The test policy: `nobody` may do nothing in pg-backup; `viewer` may neither read logs nor
 * trigger backups. Catalog conditional decisions (isEntityOwner) need real auth services and are
 * tested in conditionalPermissions.test.ts.
 */
export class TestPolicy implements PermissionPolicy {
  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    const name = request.permission.name;
    if (!name.startsWith('pg-backup.'))
      return { result: AuthorizeResult.ALLOW };
    const ref = user?.info.userEntityRef;
    if (ref === USERS.nobody) return { result: AuthorizeResult.DENY };
    if (
      ref === USERS.noLogs &&
      (name === 'pg-backup.logs.read' || name === 'pg-backup.backup.create')
    )
      return { result: AuthorizeResult.DENY };
    return { result: AuthorizeResult.ALLOW };
  }
}

/** Installs {@link TestPolicy} in the permission backend. */
export const testPolicyModule = createBackendModule({
  pluginId: 'permission',
  moduleId: 'pg-backup-test-policy',
  register(reg) {
    reg.registerInit({
      deps: { policy: policyExtensionPoint },
      async init({ policy }) {
        policy.setPolicy(new TestPolicy());
      },
    });
  },
});

/** A notification sink that records what was sent. */
export function recordingNotifications() {
  const sent: Array<{
    recipients: unknown;
    payload: { title: string; scope?: string };
  }> = [];
  return {
    sent,
    factory: createServiceFactory({
      service: notificationService,
      deps: {},
      factory: () => ({
        send: async (n: any) => {
          sent.push(n);
        },
      }),
    }),
  };
}

/** The catalog the tests run against. */
function entitiesYaml(): string {
  const resource = (
    name: string,
    annotations: Record<string, string>,
    owner = USERS.owner,
  ) => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: { name, annotations },
    spec: { type: 'database', owner, system: 'qawave' },
  });
  const qawave = {
    'pg-backup.io/namespace': 'qawave',
    'pg-backup.io/backup-cronjob': 'postgresql-backup',
    'pg-backup.io/database': 'qawave',
    'pg-backup.io/bucket': BUCKET,
    'pg-backup.io/prefix': PREFIX,
    'pg-backup.io/rpo': '26h',
    'pg-backup.io/retention': '30d',
  };
  const users = Object.values(USERS).map(ref => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'User',
    metadata: { name: ref.split('/')[1] },
    spec: { memberOf: [] },
  }));
  const docs = [
    resource('qawave-postgresql', qawave),
    // The portal's token may not read the orders namespace: an upstream 403.
    resource(
      'orders-postgresql',
      { ...qawave, 'pg-backup.io/namespace': 'orders' },
      USERS.other,
    ),
    resource('plain-db', {}),
    resource('broken-db', { ...qawave, 'pg-backup.io/rpo': 'soon' }),
    resource('elsewhere-db', { ...qawave, 'pg-backup.io/cluster': 'nope' }),
    ...users,
  ];
  return docs.map(d => JSON.stringify(d)).join('\n---\n');
}

/** A Job spec running `script` once in the agent container (image postgres:15 runs sh). */
function agentJobSpec(script: string) {
  return {
    backoffLimit: 0,
    template: {
      spec: {
        restartPolicy: 'Never',
        containers: [
          {
            name: 'agent',
            image: 'postgres:15',
            command: ['/bin/sh', '-c', script],
          },
        ],
      },
    },
  };
}

/**
 * Backend configuration for a test world: the catalog file `entities.yaml` in its directory,
 * the sandbox cluster and S3 as the portal reaches them, and pg-backup settings with `pgBackup`
 * over the tests' defaults.
 */
export function worldConfig(
  world: { dir: string; sandbox: Sandbox; s3: S3Sandbox; portalToken: string },
  pgBackup: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    app: { baseUrl: 'http://localhost:3000' },
    catalog: {
      rules: [{ allow: ['Resource', 'User', 'Group', 'Location'] }],
      locations: [
        { type: 'file', target: path.join(world.dir, 'entities.yaml') },
      ],
    },
    permission: { enabled: true },
    ...portalAppConfig({
      kubernetesUrl: world.sandbox.url,
      caCertificate: world.sandbox.caCertificate,
      token: world.portalToken,
      s3Endpoint: world.s3.endpoint,
      s3Region: world.s3.region,
      s3AccessKeyId: world.s3.credentials.accessKeyId,
      s3SecretAccessKey: world.s3.credentials.secretAccessKey,
    }),
    pgBackup: {
      storage: { region: world.s3.region },
      cache: { healthTtl: { seconds: 1 } },
      upstreamTimeout: { seconds: 5 },
      ...pgBackup,
    },
  };
}

/** Sandbox cluster and S3 with one database's CronJob, a failed Job and 12 days of backups. */
export class TestWorld {
  private constructor(
    readonly sandbox: Sandbox,
    readonly s3: S3Sandbox,
    readonly dir: string,
    private readonly portalToken: string,
    readonly keys: string[],
  ) {}

  /** Starts the world; `options.tokens` are more service-account tokens the sandbox accepts. */
  static async start(
    options: { tokens?: TokenGrant[] } = {},
  ): Promise<TestWorld> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pg-backup-backend-'));
    const grant = portalGrant([
      { namespace: 'qawave', deployments: ['backend'] },
    ]);
    const sandbox = await Sandbox.start({
      namespaces: ['qawave', 'orders'],
      tokens: [grant, ...(options.tokens ?? [])],
      jobBackoffMs: 200,
      restartDelayMs: 200,
    });
    const s3 = await S3Sandbox.start();
    registerTestSecrets({
      'sandbox-admin-token': sandbox.adminToken,
      'portal-service-account-token': grant.token,
      's3-secret-access-key': s3.credentials.secretAccessKey,
      'credentials-secret-value': CREDENTIALS_SECRET_VALUE,
      ...Object.fromEntries(
        (options.tokens ?? []).map((t, i) => [`extra-token-${i}`, t.token]),
      ),
    });
    const world = new TestWorld(sandbox, s3, dir, grant.token, []);
    await world.seed();
    fs.writeFileSync(path.join(dir, 'entities.yaml'), entitiesYaml());
    return world;
  }

  /** An admin client, standing in for an operator's kubectl. */
  adminKubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromString(this.sandbox.kubeconfig());
    return kc;
  }

  private async seed(): Promise<void> {
    const kc = this.adminKubeConfig();
    const batch = kc.makeApiClient(BatchV1Api);
    const core = kc.makeApiClient(CoreV1Api);
    const cronJob = await batch.createNamespacedCronJob({
      namespace: 'qawave',
      body: {
        metadata: {
          name: 'postgresql-backup',
          labels: { 'app.kubernetes.io/name': 'postgresql-backup' },
        },
        spec: {
          schedule: '0 2 * * *',
          jobTemplate: {
            metadata: {
              labels: { 'app.kubernetes.io/name': 'postgresql-backup' },
            },
            spec: agentJobSpec(
              'echo "backup: starting"; sleep 1; echo "backup: done"',
            ),
          },
        },
      },
    });
    await batch.createNamespacedJob({
      namespace: 'qawave',
      body: {
        metadata: {
          name: 'postgresql-backup-29000000',
          ownerReferences: [
            {
              apiVersion: 'batch/v1',
              kind: 'CronJob',
              name: 'postgresql-backup',
              uid: cronJob.metadata!.uid!,
              controller: true,
            },
          ],
        },
        spec: agentJobSpec(
          'echo "backup: uploading"; echo "backup: S3 rejected the credentials (InvalidAccessKeyId); check AWS_ACCESS_KEY_ID" >&2; exit 2',
        ),
      },
    });
    await core.createNamespacedSecret({
      namespace: 'qawave',
      body: {
        metadata: { name: 'backup-s3-credentials' },
        stringData: { AWS_SECRET_ACCESS_KEY: CREDENTIALS_SECRET_VALUE },
      },
    });

    const client = new S3Client(this.s3.clientConfig());
    const newest = Date.now() - 3_600_000;
    const objects = [];
    for (let day = 0; day < 12; day++) {
      const at = new Date(newest - day * DAY_MS);
      at.setUTCMilliseconds(0);
      const key = formatBackupKey(PREFIX, 'qawave', at);
      this.keys.push(key);
      objects.push({
        key,
        body: 'x'.repeat(2000 + day),
        lastModified: new Date(at.getTime() + 60_000),
      });
      // Day 3 never finished: no manifest.
      if (day !== 3)
        objects.push({
          key: `${key}.manifest.json`,
          body: JSON.stringify({
            formatVersion: 1,
            kind: 'backup',
            key,
            database: 'qawave',
            sha256: day.toString(16).padStart(64, '0'),
            sizeBytes: 2000 + day,
            tableCount: 3,
            flywayVersion: '7',
            durationMs: 1500,
            startedAt: at.toISOString(),
            encryption: { serverSide: 'AES256' },
          }),
          lastModified: new Date(at.getTime() + 60_000),
        });
    }
    await seedBucket(client, {
      bucket: BUCKET,
      encryption: 'AES256',
      versioning: true,
      lifecycleExpirationDays: [{ prefix: PREFIX, days: 30 }],
      objects,
    });
  }

  /** Backend configuration: the catalog file, the sandbox cluster and S3. */
  config(): Record<string, unknown> {
    return worldConfig({
      dir: this.dir,
      sandbox: this.sandbox,
      s3: this.s3,
      portalToken: this.portalToken,
    });
  }

  async stop(): Promise<void> {
    await this.s3.stop();
    await this.sandbox.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export { mockServices };

/** An auditor that records events (the real one also records the initiator from `request`). */
export function recordingAuditor() {
  const events: Array<{
    eventId: string;
    meta?: Record<string, unknown>;
    hasRequest: boolean;
    outcome?: 'success' | 'fail';
    outcomeMeta?: Record<string, unknown>;
  }> = [];
  return {
    events,
    factory: createServiceFactory({
      service: coreServices.auditor,
      deps: {},
      factory: () => ({
        createEvent: async (options: {
          eventId: string;
          meta?: Record<string, unknown>;
          request?: unknown;
        }) => {
          const event: (typeof events)[number] = {
            eventId: options.eventId,
            meta: options.meta,
            hasRequest: options.request !== undefined,
          };
          events.push(event);
          return {
            success: async (o?: { meta?: Record<string, unknown> }) => {
              event.outcome = 'success';
              event.outcomeMeta = o?.meta;
            },
            fail: async (o: { meta?: Record<string, unknown> }) => {
              event.outcome = 'fail';
              event.outcomeMeta = o?.meta;
            },
          };
        },
      }),
    }),
  };
}
