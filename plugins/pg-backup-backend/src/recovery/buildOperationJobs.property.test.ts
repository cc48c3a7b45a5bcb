// Each property checks the outcome its generated case calls for, so expectations are conditional.
/* eslint-disable jest/no-conditional-expect */
import { expandVariables } from '@internal/sandbox';
import { V1Container, V1CronJob } from '@kubernetes/client-node';
import fc from 'fast-check';
import { hostileString, runs } from '../__testUtils__/hostileValues';
import {
  OperationJobComponent,
  buildOperationJob,
  buildSafetyBackupJob,
  escapeEnvValue,
} from './buildOperationJobs';

const OPERATION = '0f1e2d3c-4b5a-4968-8776-655443322110';
const SECRETS = {
  AWS_SECRET_ACCESS_KEY: 'aws-secret-must-never-leak',
  PGPASSWORD: 'pg-password-must-never-leak',
};

/** A CronJob like the QAWave runbook's: the agent reads S3 credentials and the password from Secrets. */
const cronJob: V1CronJob = {
  metadata: { name: 'postgresql-backup', namespace: 'qawave', uid: 'uid-1' },
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
                image: 'ghcr.io/qawave/pg-backup-agent:0.1.0',
                args: ['backup'],
                envFrom: [{ secretRef: { name: 'backup-s3-credentials' } }],
                env: [
                  {
                    name: 'PGPASSWORD',
                    valueFrom: {
                      secretKeyRef: { name: 'postgresql-secrets', key: 'p' },
                    },
                  },
                ],
              },
            ],
          },
        },
      },
    },
  },
};

/** The container's environment as the kubelet resolves it: envFrom, then env in order, expanded. */
function resolveEnv(container: V1Container): Record<string, string> {
  const env: Record<string, string> = {
    AWS_SECRET_ACCESS_KEY: SECRETS.AWS_SECRET_ACCESS_KEY,
  };
  for (const e of container.env ?? []) {
    env[e.name] =
      e.valueFrom !== undefined
        ? SECRETS.PGPASSWORD
        : expandVariables(e.value ?? '', env);
  }
  return env;
}

/** The steps' Jobs exactly as OperationRunner asks for them. */
const STEPS: Array<{
  component: OperationJobComponent;
  command?: string[];
  args: string[];
}> = [
  { component: 'restore', args: ['restore'] },
  { component: 'verify', args: ['verify'] },
  {
    component: 'cleanup',
    command: ['dropdb'],
    args: ['--if-exists', '--force', '--', '$(TARGET_DATABASE)'],
  },
];

describe('operation Jobs built from hostile values', () => {
  it('carry every value as an environment variable that reaches the container unchanged', () => {
    fc.assert(
      fc.property(
        fc.record({
          BACKUP_FILE: hostileString(),
          TARGET_DATABASE: hostileString(),
          S3_BUCKET: hostileString(),
          S3_PREFIX: hostileString(),
        }),
        hostileString(),
        fc.constantFrom(...STEPS),
        (env, requestedBy, step) => {
          const job = buildOperationJob(cronJob, {
            operationId: OPERATION,
            namespace: 'qawave',
            requestedBy,
            ttlSecondsAfterFinished: 60,
            env,
            ...step,
          });
          const containers = job.spec!.template.spec!.containers;
          expect(containers).toHaveLength(1);
          const [agent] = containers;
          // The command line is the step's own, whatever the values: nothing is interpolated.
          expect(agent.command).toEqual(step.command);
          expect(agent.args).toEqual(step.args);
          for (const part of [...(agent.command ?? []), ...agent.args!])
            expect(['sh', 'bash', '-c', '/bin/sh']).not.toContain(part);
          // After the kubelet's $(VAR) expansion each value is exactly what was asked for: a
          // key such as "$(AWS_SECRET_ACCESS_KEY)" never turns into a Secret's value.
          const resolved = resolveEnv(agent);
          for (const [name, value] of Object.entries(env))
            expect(resolved[name]).toBe(value);
          const argv = [...(agent.command ?? []), ...agent.args!].map(arg =>
            expandVariables(arg, resolved),
          );
          if (step.component === 'cleanup')
            expect(argv).toEqual([
              'dropdb',
              '--if-exists',
              '--force',
              '--',
              env.TARGET_DATABASE,
            ]);
          for (const secret of Object.values(SECRETS)) {
            for (const name of Object.keys(env))
              expect(resolved[name]).not.toContain(secret);
          }
          // Names and labels come from the operation id only.
          expect(job.metadata!.name).toBe(
            `pg-backup-${step.component}-0f1e2d3c4b5a`,
          );
          expect(job.metadata!.annotations!['pg-backup.io/requested-by']).toBe(
            requestedBy,
          );
        },
      ),
      { numRuns: runs(3000) },
    );
  });

  it('escapes $ as Kubernetes expects (regression: a key naming a Secret variable expanded to its value)', () => {
    expect(escapeEnvValue('$(AWS_SECRET_ACCESS_KEY).dump')).toBe(
      '$$(AWS_SECRET_ACCESS_KEY).dump',
    );
    const job = buildOperationJob(cronJob, {
      operationId: OPERATION,
      component: 'restore',
      namespace: 'qawave',
      requestedBy: 'user:default/alice',
      args: ['restore'],
      env: { BACKUP_FILE: 'x-$(AWS_SECRET_ACCESS_KEY)-$(PGPASSWORD).dump' },
      ttlSecondsAfterFinished: 60,
    });
    expect(resolveEnv(job.spec!.template.spec!.containers[0]).BACKUP_FILE).toBe(
      'x-$(AWS_SECRET_ACCESS_KEY)-$(PGPASSWORD).dump',
    );
  });

  it('leave the safety backup exactly the CronJob template, whoever asked', () => {
    fc.assert(
      fc.property(hostileString(), requestedBy => {
        const job = buildSafetyBackupJob(cronJob, {
          operationId: OPERATION,
          namespace: 'qawave',
          requestedBy,
        });
        expect(job.spec!.template.spec).toEqual(
          cronJob.spec!.jobTemplate.spec!.template.spec,
        );
      }),
      { numRuns: runs(500) },
    );
  });
});
