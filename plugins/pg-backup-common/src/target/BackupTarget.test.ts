import { Entity } from '@backstage/catalog-model';
import { PG_BACKUP_ANNOTATIONS as A } from './annotations';
import {
  DEFAULT_BACKUP_OBJECTIVES,
  isPgBackupAvailable,
  readBackupTarget,
} from './BackupTarget';

const H = 3_600_000;
const D = 24 * H;

function entity(
  annotations: Record<string, string>,
  name = 'qawave-postgresql',
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: { name, namespace: 'default', annotations },
    spec: { type: 'database', owner: 'platform-team' },
  };
}

const seed = {
  [A.namespace]: 'qawave',
  [A.backupCronJob]: 'postgresql-backup',
  [A.checkpointCronJob]: 'postgresql-wal-checkpoint',
  [A.database]: 'qawave',
  [A.bucket]: 'qawave-backups',
  [A.prefix]: 'postgresql/daily/',
  [A.checkpointPrefix]: 'postgresql/checkpoints/',
  [A.rpo]: '6h',
  [A.rto]: '4h',
  [A.retention]: '30d',
  [A.deployments]: 'backend, worker',
};

describe('readBackupTarget', () => {
  it('reads the QAWave database into a typed target', () => {
    expect(readBackupTarget(entity(seed))).toEqual({
      ok: true,
      target: {
        entityRef: 'resource:default/qawave-postgresql',
        namespace: 'qawave',
        database: 'qawave',
        backupCronJob: 'postgresql-backup',
        checkpointCronJob: 'postgresql-wal-checkpoint',
        storage: {
          bucket: 'qawave-backups',
          prefix: 'postgresql/daily/',
          checkpointPrefix: 'postgresql/checkpoints/',
        },
        objectives: {
          rpoMs: 6 * H,
          rtoMs: 4 * H,
          retentionMs: 30 * D,
          drillIntervalMs: 90 * D,
        },
        deployments: ['backend', 'worker'],
      },
    });
  });

  it('applies defaults for optional annotations', () => {
    const result = readBackupTarget(
      entity(
        {
          [A.namespace]: 'orders',
          [A.backupCronJob]: 'orders-backup',
          [A.bucket]: 'orders-backups',
        },
        'orders_db',
      ),
    );
    expect(result).toEqual({
      ok: true,
      target: {
        entityRef: 'resource:default/orders_db',
        namespace: 'orders',
        database: 'orders_db',
        backupCronJob: 'orders-backup',
        storage: { bucket: 'orders-backups', prefix: '' },
        objectives: DEFAULT_BACKUP_OBJECTIVES,
        deployments: [],
      },
    });
  });

  it('uses the defaults it is given', () => {
    const defaults = {
      rpoMs: H,
      rtoMs: 2 * H,
      retentionMs: 7 * D,
      drillIntervalMs: 30 * D,
    };
    const result = readBackupTarget(
      entity({ ...seed, [A.rpo]: '12h' }),
      defaults,
    );
    expect(result.ok && result.target.objectives).toEqual({
      ...defaults,
      rpoMs: 12 * H,
      rtoMs: 4 * H,
      retentionMs: 30 * D,
    });
  });

  it('reports every missing required annotation', () => {
    const result = readBackupTarget(entity({}));
    expect(result).toEqual({
      ok: false,
      problems: [
        {
          annotation: A.namespace,
          message: 'annotation pg-backup.io/namespace is required',
        },
        {
          annotation: A.backupCronJob,
          message: 'annotation pg-backup.io/backup-cronjob is required',
        },
        {
          annotation: A.bucket,
          message: 'annotation pg-backup.io/bucket is required',
        },
      ],
    });
  });

  it.each([
    [A.namespace, 'QAwave', /not an RFC 1123 label/],
    [A.namespace, 'kube-system/../x', /not an RFC 1123 label/],
    [A.namespace, '   ', /is empty/],
    [A.backupCronJob, 'a'.repeat(53), /53 characters long; at most 52/],
    [A.checkpointCronJob, 'bad name', /not an RFC 1123 subdomain/],
    [A.bucket, 'Qawave_Backups', /characters S3 does not allow/],
    [A.prefix, 'postgresql/daily', /must end with "\/"/],
    [A.prefix, '../other-team/', /empty, "." or ".." segment/],
    [
      A.checkpointPrefix,
      'postgresql/daily/',
      /must differ from the full-backup prefix/,
    ],
    [A.database, 'qawave; DROP DATABASE x', /not accepted/],
    [
      A.rpo,
      '6 hours',
      /pg-backup.io\/rpo: "6 hours" is not a duration; expected/,
    ],
    [A.rto, 'P1M', /calendar years or months/],
    [A.retention, '0d', /longer than zero/],
    [A.drillInterval, 'quarterly', /not a duration/],
    [A.deployments, 'backend,,worker', /contains an empty name/],
    [A.deployments, 'backend,Worker', /"Worker" is not an RFC 1123 subdomain/],
    [A.deployments, 'backend,backend', /"backend" is listed twice/],
    [A.cluster, 'prod cluster', /not a valid cluster name/],
  ])('rejects %s=%p naming the value', (annotation, value, message) => {
    const result = readBackupTarget(entity({ ...seed, [annotation]: value }));
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]).toEqual({
      annotation,
      value,
      message: expect.stringMatching(message),
    });
  });

  it('collects several problems at once', () => {
    const result = readBackupTarget(
      entity({ ...seed, [A.namespace]: 'Bad', [A.rpo]: 'x', [A.bucket]: 'b' }),
    );
    expect(result.ok ? [] : result.problems.map(p => p.annotation)).toEqual([
      A.namespace,
      A.bucket,
      A.rpo,
    ]);
  });

  it('requires a database annotation when the entity name is not a usable database name', () => {
    const { [A.database]: _, ...rest } = seed;
    const result = readBackupTarget(entity(rest, '9lives'));
    expect(result.ok ? undefined : result.problems).toEqual([
      {
        annotation: A.database,
        message: expect.stringMatching(
          /entity name "9lives" is not a usable database name/,
        ),
      },
    ]);
  });

  it('reads the cluster when given', () => {
    const result = readBackupTarget(
      entity({ ...seed, [A.cluster]: 'sandbox' }),
    );
    expect(result.ok && result.target.cluster).toBe('sandbox');
  });
});

describe('isPgBackupAvailable', () => {
  it('is true when the backup CronJob annotation is present, even if others are invalid', () => {
    expect(
      isPgBackupAvailable(
        entity({ [A.backupCronJob]: 'x', [A.bucket]: 'BAD' }),
      ),
    ).toBe(true);
  });
  it('is false without annotations or with an empty marker', () => {
    expect(isPgBackupAvailable(entity({}))).toBe(false);
    expect(isPgBackupAvailable(entity({ [A.backupCronJob]: '' }))).toBe(false);
    const bare = entity({});
    delete bare.metadata.annotations;
    expect(isPgBackupAvailable(bare)).toBe(false);
  });
});
