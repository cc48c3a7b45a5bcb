import { V1CronJob } from '@kubernetes/client-node';
import {
  buildOperationJob,
  buildSafetyBackupJob,
  operationJobName,
} from './buildOperationJobs';

const OPERATION = '0f1e2d3c-4b5a-4968-8776-655443322110';

/** The QAWave runbook's CronJob (deploy/kubernetes/postgresql-backup/backup-cronjob.yaml), abridged. */
const cronJob: V1CronJob = {
  metadata: { name: 'postgresql-backup', namespace: 'qawave', uid: 'uid-1' },
  spec: {
    schedule: '0 2 * * *',
    jobTemplate: {
      metadata: {
        labels: {
          'app.kubernetes.io/name': 'postgresql-backup',
          'app.kubernetes.io/component': 'backup',
          'app.kubernetes.io/part-of': 'qawave',
        },
      },
      spec: {
        backoffLimit: 2,
        activeDeadlineSeconds: 14400,
        template: {
          metadata: {
            labels: {
              'app.kubernetes.io/name': 'postgresql-backup',
              'app.kubernetes.io/component': 'backup',
            },
          },
          spec: {
            serviceAccountName: 'postgresql-backup',
            automountServiceAccountToken: false,
            restartPolicy: 'Never',
            containers: [
              {
                name: 'agent',
                image: 'ghcr.io/qawave/pg-backup-agent:0.1.0',
                args: ['backup'],
                resources: { limits: { memory: '256Mi' } },
                envFrom: [
                  { configMapRef: { name: 'postgresql-backup-config' } },
                  { secretRef: { name: 'backup-s3-credentials' } },
                ],
                env: [
                  {
                    name: 'PGPASSWORD',
                    valueFrom: {
                      secretKeyRef: {
                        name: 'postgresql-secrets',
                        key: 'postgres-password',
                      },
                    },
                  },
                  { name: 'TARGET_DATABASE', value: 'from-the-template' },
                ],
              },
            ],
          },
        },
      },
    },
  },
};

describe('buildOperationJob', () => {
  const job = buildOperationJob(cronJob, {
    operationId: OPERATION,
    component: 'restore',
    namespace: 'qawave',
    requestedBy: 'user:default/alice',
    args: ['restore'],
    env: {
      BACKUP_FILE: 'qawave_20261125_020000.dump',
      TARGET_DATABASE: 'qawave; DROP DATABASE qawave',
      RESTORE_OVERWRITE: 'false',
    },
    ttlSecondsAfterFinished: 86_400,
  });
  const container = job.spec!.template.spec!.containers[0];

  it('keeps the image, identity, secrets and resources of the CronJob', () => {
    expect(container.image).toBe('ghcr.io/qawave/pg-backup-agent:0.1.0');
    expect(container.envFrom).toEqual(
      cronJob.spec!.jobTemplate.spec!.template.spec!.containers[0].envFrom,
    );
    expect(container.resources).toEqual({ limits: { memory: '256Mi' } });
    expect(job.spec!.template.spec!.serviceAccountName).toBe(
      'postgresql-backup',
    );
    expect(job.spec!.activeDeadlineSeconds).toBe(14400);
  });

  it('changes only the arguments and passes every value as an environment variable', () => {
    expect(container.args).toEqual(['restore']);
    expect(container.command).toBeUndefined();
    expect(container.env).toEqual([
      expect.objectContaining({ name: 'PGPASSWORD' }),
      { name: 'BACKUP_FILE', value: 'qawave_20261125_020000.dump' },
      // Replaces the template's value, and stays a value: nothing is interpolated into a script.
      { name: 'TARGET_DATABASE', value: 'qawave; DROP DATABASE qawave' },
      { name: 'RESTORE_OVERWRITE', value: 'false' },
    ]);
  });

  it('marks the Job with its operation and component, without an owner, not retried, with a TTL', () => {
    expect(job.metadata).toMatchObject({
      name: `pg-backup-restore-0f1e2d3c4b5a`,
      namespace: 'qawave',
      labels: {
        'app.kubernetes.io/name': 'pg-backup-restore',
        'app.kubernetes.io/component': 'restore',
        'app.kubernetes.io/part-of': 'qawave',
        'pg-backup.io/operation': OPERATION,
      },
      annotations: {
        'pg-backup.io/operation': OPERATION,
        'pg-backup.io/requested-by': 'user:default/alice',
      },
    });
    expect(job.metadata!.ownerReferences).toBeUndefined();
    expect(job.spec!.template.metadata!.labels).toMatchObject({
      'app.kubernetes.io/name': 'pg-backup-restore',
      'pg-backup.io/operation': OPERATION,
    });
    expect(job.spec!.backoffLimit).toBe(0);
    expect(job.spec!.ttlSecondsAfterFinished).toBe(86_400);
    // The backup alerts match job names starting with the CronJob's name: never a restore.
    expect(job.metadata!.name!.startsWith('postgresql-backup')).toBe(false);
    expect(operationJobName('cleanup', OPERATION)).toHaveLength(30);
  });

  it('replaces the entrypoint only when asked (the cleanup runs dropdb)', () => {
    const cleanup = buildOperationJob(cronJob, {
      operationId: OPERATION,
      component: 'cleanup',
      namespace: 'qawave',
      requestedBy: 'user:default/alice',
      command: ['dropdb'],
      args: ['--if-exists', '--force', '--', '$(TARGET_DATABASE)'],
      env: { TARGET_DATABASE: 'qawave_verify_0f1e2d3c4b5a' },
      ttlSecondsAfterFinished: 60,
    }).spec!.template.spec!.containers[0];
    expect(cleanup.command).toEqual(['dropdb']);
    expect(cleanup.args).toEqual([
      '--if-exists',
      '--force',
      '--',
      '$(TARGET_DATABASE)',
    ]);
  });
});

describe('buildSafetyBackupJob', () => {
  it('is the Job kubectl create job --from would create, marked with the operation', () => {
    const job = buildSafetyBackupJob(cronJob, {
      operationId: OPERATION,
      namespace: 'qawave',
      requestedBy: 'user:default/alice',
    });
    expect(job.metadata).toMatchObject({
      name: 'postgresql-backup-safety-0f1e2d3c4b5a',
      labels: {
        'app.kubernetes.io/name': 'postgresql-backup',
        'pg-backup.io/operation': OPERATION,
      },
      annotations: {
        'cronjob.kubernetes.io/instantiate': 'manual',
        'pg-backup.io/step': 'safety-backup',
      },
      ownerReferences: [
        expect.objectContaining({ kind: 'CronJob', name: 'postgresql-backup' }),
      ],
    });
    expect(job.spec!.backoffLimit).toBe(2);
    expect(job.spec!.template.spec!.containers[0].args).toEqual(['backup']);
  });
});
