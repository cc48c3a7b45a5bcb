import { S3Client } from '@aws-sdk/client-s3';
import { formatBackupKey } from '@pg-backup/backstage-plugin-pg-backup-common';
import { seedBucket } from '@internal/sandbox';
import { BatchV1Api } from '@kubernetes/client-node';
import { RecordedRequest } from '../__testUtils__/RecordingProxy';
import { DB, SEEDED_JOB, SecurityWorld } from '../__testUtils__/securityWorld';
import { BUCKET, PREFIX } from '../__testUtils__/testWorld';

jest.setTimeout(180_000);

const API = '/api/pg-backup';
const ENTITY = `${API}/entities/${DB}`;
/** A CronJob, and its Job, in the database's namespace that no catalog entity names. */
const FOREIGN_CRONJOB = 'other-app-backup';
const FOREIGN_JOB = 'other-app-backup-29000001';
const FOREIGN_BUCKET = 'foreign-backups';
const FOREIGN_PREFIX = 'other-app/daily/';

/** One crafted request: what it tries to reach and the names the upstreams must never see. */
interface Attempt {
  name: string;
  method: 'GET' | 'POST';
  url: string;
  body?: unknown;
  /** Allowed statuses (400, 403 or 404). */
  status: number[];
  /** Names of the foreign resource: no upstream request may mention them. */
  foreign: string[];
  /** The audit event a refused attempt leaves. */
  auditEventId: string;
}

const foreignKey = formatBackupKey(
  FOREIGN_PREFIX,
  'qawave',
  new Date(Date.now() - 3_600_000),
);

const attempts: Attempt[] = [
  {
    name: 'a Job of another CronJob in the same namespace',
    method: 'GET',
    url: `${ENTITY}/jobs/${FOREIGN_JOB}`,
    status: [404],
    foreign: [FOREIGN_JOB],
    auditEventId: 'request-refused',
  },
  {
    name: 'the log of a Job of another CronJob',
    method: 'GET',
    url: `${ENTITY}/jobs/${FOREIGN_JOB}/logs`,
    status: [404],
    foreign: [FOREIGN_JOB],
    auditEventId: 'request-refused',
  },
  {
    name: 'another Job’s pod through an own Job’s log',
    method: 'GET',
    url: `${ENTITY}/jobs/${SEEDED_JOB}/logs?pod=${FOREIGN_JOB}-pod`,
    status: [404],
    foreign: [`${FOREIGN_JOB}-pod`],
    auditEventId: 'request-refused',
  },
  {
    name: 'a Secret through a Job name with ../',
    method: 'GET',
    url: `${ENTITY}/jobs/..%2F..%2Fsecrets%2Fbackup-s3-credentials`,
    status: [400, 404],
    foreign: ['secrets/backup-s3-credentials'],
    auditEventId: 'request-refused',
  },
  {
    name: 'an entity without pg-backup annotations (read)',
    method: 'GET',
    url: `${API}/entities/resource/default/plain-db/health`,
    status: [404],
    foreign: ['plain-db'],
    auditEventId: 'request-refused',
  },
  {
    name: 'an entity without pg-backup annotations (back up now)',
    method: 'POST',
    url: `${API}/entities/resource/default/plain-db/backups`,
    status: [404],
    foreign: ['plain-db'],
    auditEventId: 'backup-trigger',
  },
  {
    name: 'a user entity',
    method: 'POST',
    url: `${API}/entities/user/default/alice/backups`,
    status: [404],
    foreign: ['alice'],
    auditEventId: 'backup-trigger',
  },
  {
    name: 'the database’s name in another catalog namespace',
    method: 'GET',
    url: `${API}/entities/resource/kube-system/qawave-postgresql/jobs`,
    status: [404],
    foreign: ['kube-system'],
    auditEventId: 'request-refused',
  },
  {
    name: 'a backups cursor under another prefix',
    method: 'GET',
    url: `${ENTITY}/backups?cursor=${encodeURIComponent(foreignKey)}`,
    status: [400],
    foreign: [FOREIGN_PREFIX],
    auditEventId: 'request-refused',
  },
  {
    name: 'a backups cursor climbing out of the prefix with ..',
    method: 'GET',
    url: `${ENTITY}/backups?cursor=${encodeURIComponent(
      `${PREFIX}../../${foreignKey}`,
    )}`,
    status: [400],
    foreign: [FOREIGN_PREFIX, '..'],
    auditEventId: 'request-refused',
  },
  {
    name: 'a verify of a backup under another prefix',
    method: 'POST',
    url: `${ENTITY}/operations`,
    body: { kind: 'verify', backupKey: foreignKey },
    status: [400],
    foreign: [FOREIGN_PREFIX],
    auditEventId: 'recovery-operation',
  },
  {
    name: 'a restore of a key with .. segments',
    method: 'POST',
    url: `${ENTITY}/operations`,
    body: { kind: 'restore', backupKey: `${PREFIX}../../${foreignKey}` },
    status: [400],
    foreign: [FOREIGN_PREFIX, '..'],
    auditEventId: 'recovery-operation',
  },
  {
    name: 'a restore of an object in another bucket',
    method: 'POST',
    url: `${ENTITY}/operations`,
    body: {
      kind: 'restore',
      backupKey: `s3://${FOREIGN_BUCKET}/${foreignKey}`,
    },
    status: [400],
    foreign: [FOREIGN_BUCKET],
    auditEventId: 'recovery-operation',
  },
  {
    name: 'a restore into another namespace of another cluster',
    method: 'POST',
    url: `${ENTITY}/operations`,
    body: {
      kind: 'restore',
      target: {
        kind: 'other-namespace',
        database: 'qawave',
        namespace: 'kube-system',
        cluster: 'production',
      },
    },
    status: [400, 403, 404],
    foreign: ['kube-system', 'production'],
    auditEventId: 'recovery-operation',
  },
  {
    name: 'a live restore over another database',
    method: 'POST',
    url: `${ENTITY}/approvals`,
    body: {
      kind: 'restore',
      target: { kind: 'live', database: 'orders' },
      reason: 'crafted',
    },
    status: [400],
    foreign: ['orders'],
    auditEventId: 'recovery-approval-request',
  },
];

const mentions = (requests: RecordedRequest[], names: string[]) =>
  requests.filter(r =>
    names.some(
      n => r.path.includes(n) || decodeURIComponent(r.query).includes(n),
    ),
  );

describe('confinement: the backend only reaches what annotated entities name', () => {
  let security: SecurityWorld;

  beforeAll(async () => {
    security = await SecurityWorld.start({ roles: ['admin'] });
    const batch = security.world.adminKubeConfig().makeApiClient(BatchV1Api);
    const cronJob = await batch.createNamespacedCronJob({
      namespace: 'qawave',
      body: {
        metadata: { name: FOREIGN_CRONJOB },
        spec: {
          schedule: '0 3 * * *',
          suspend: true,
          jobTemplate: {
            spec: {
              template: {
                spec: {
                  restartPolicy: 'Never',
                  containers: [
                    { name: 'agent', image: 'postgres:15', command: ['true'] },
                  ],
                },
              },
            },
          },
        },
      },
    });
    await batch.createNamespacedJob({
      namespace: 'qawave',
      body: {
        metadata: {
          name: FOREIGN_JOB,
          ownerReferences: [
            {
              apiVersion: 'batch/v1',
              kind: 'CronJob',
              name: FOREIGN_CRONJOB,
              uid: cronJob.metadata!.uid!,
              controller: true,
            },
          ],
        },
        spec: {
          backoffLimit: 0,
          template: {
            spec: {
              restartPolicy: 'Never',
              containers: [
                {
                  name: 'agent',
                  image: 'postgres:15',
                  command: ['/bin/sh', '-c', 'echo other app secret log'],
                },
              ],
            },
          },
        },
      },
    });
    await seedBucket(new S3Client(security.world.s3.clientConfig()), {
      bucket: FOREIGN_BUCKET,
      objects: [{ key: foreignKey, body: 'foreign' }],
    });
    await seedBucket(new S3Client(security.world.s3.clientConfig()), {
      bucket: BUCKET,
      objects: [{ key: foreignKey, body: 'foreign prefix' }],
    });
  });

  afterAll(async () => {
    await security?.stop();
  });

  it.each(attempts.map(a => [a.name, a] as const))(
    'refuses %s, audits it and never asks an upstream for it',
    async (_name, attempt) => {
      const k8s = security.kubernetes.mark();
      const s3 = security.s3.mark();
      const events = security.auditor.events.length;
      const res = await security.call(
        'admin',
        attempt.method,
        attempt.url,
        attempt.body,
      );
      if (!attempt.status.includes(res.status))
        throw new Error(
          `expected ${attempt.status.join(' or ')}, got ${
            res.status
          }: ${res.text.slice(0, 300)}`,
        );
      expect(res.body.error.message.length).toBeGreaterThan(10);
      expect(res.text).not.toMatch(/\n\s+at /);
      expect(
        mentions(
          [...security.kubernetes.since(k8s), ...security.s3.since(s3)],
          attempt.foreign,
        ),
      ).toEqual([]);
      const audited = security.auditor.events
        .slice(events)
        .filter(e => e.eventId === attempt.auditEventId);
      expect(audited).toEqual([
        expect.objectContaining({ outcome: 'fail', hasRequest: true }),
      ]);
    },
  );

  it('still serves what the annotations name (the proxies see the real traffic)', async () => {
    const k8s = security.kubernetes.mark();
    const s3 = security.s3.mark();
    const job = await security.call(
      'admin',
      'GET',
      `${ENTITY}/jobs/${SEEDED_JOB}`,
    );
    expect(job.status).toBe(200);
    const backups = await security.call('admin', 'GET', `${ENTITY}/backups`);
    expect(backups.status).toBe(200);
    expect(backups.body.items.map((b: { key: string }) => b.key)).not.toContain(
      foreignKey,
    );
    expect(
      security.kubernetes
        .since(k8s)
        .some(r => r.path.includes('/namespaces/qawave/')),
    ).toBe(true);
    expect(
      security.s3.since(s3).some(r => r.path.startsWith(`/${BUCKET}`)),
    ).toBe(true);
    expect(
      mentions([...security.s3.since(s3)], [FOREIGN_BUCKET, FOREIGN_PREFIX]),
    ).toEqual([]);
  });

  it('never touched another namespace, the foreign bucket or a Secret’s data', () => {
    const all = [...security.kubernetes.requests, ...security.s3.requests];
    expect(all.length).toBeGreaterThan(10);
    const outside = security.kubernetes.requests.filter(
      r =>
        r.path.includes('/namespaces/') &&
        !r.path.includes('/namespaces/qawave/') &&
        !r.path.includes('/namespaces/orders/'),
    );
    expect(outside).toEqual([]);
    expect(mentions(security.s3.requests, [FOREIGN_BUCKET])).toEqual([]);
    // The only Secret read is the credentials Secret, by name (its age; never listed).
    const secrets = security.kubernetes.requests.filter(r =>
      r.path.includes('/secrets'),
    );
    for (const r of secrets)
      expect(r.path).toMatch(
        /\/namespaces\/qawave\/secrets\/backup-s3-credentials$/,
      );
  });

  it('no response carried a secret value', () => {
    expect(security.leaks()).toEqual([]);
  });
});
