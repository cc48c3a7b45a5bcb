import { V1Container, V1CronJob, V1Job } from '@kubernetes/client-node';
import { MANUAL_INSTANTIATE_ANNOTATION } from '../jobs/jobSummaries';

/** Label (and annotation) naming the operation a Job belongs to. */
export const OPERATION_LABEL = 'pg-backup.io/operation';
/** Annotation naming the step a Job runs. */
export const STEP_ANNOTATION = 'pg-backup.io/step';
/** Annotation naming who asked for the operation. */
export const REQUESTED_BY_ANNOTATION = 'pg-backup.io/requested-by';

/** What an operation's Job does. */
export type OperationJobComponent = 'restore' | 'verify' | 'cleanup';

/** One restore, verify or cleanup Job of an operation. */
export interface OperationJobSpec {
  operationId: string;
  /** The step it runs (also the Job's component label). */
  component: OperationJobComponent;
  /** Namespace the Job is created in. */
  namespace: string;
  requestedBy: string;
  /** The agent's arguments (`restore`, `verify`), or the arguments of `command`. */
  args: string[];
  /** Replaces the image's entrypoint (the cleanup runs `dropdb` from the agent image). */
  command?: string[];
  /** Environment variables set on the agent container, replacing any of the same name. */
  env: Record<string, string>;
  ttlSecondsAfterFinished: number;
}

const NAME_LABEL = 'app.kubernetes.io/name';
const COMPONENT_LABEL = 'app.kubernetes.io/component';

/** Twelve hex digits of an operation id: unique enough within a namespace, short enough for names. */
export function shortOperationId(operationId: string): string {
  return operationId.replace(/-/g, '').slice(0, 12).toLowerCase();
}

/**
 * The name of an operation's Job for one step. Deterministic, so a repeated create finds the
 * Job of an earlier attempt; never starts with the CronJob's name, so the backup alerts
 * (`job_name=~"postgresql-backup.*"`) and history never count restores.
 */
export function operationJobName(
  component: OperationJobComponent,
  operationId: string,
): string {
  return `pg-backup-${component}-${shortOperationId(operationId)}`;
}

/** The name of an operation's safety backup Job: a backup of the CronJob, so it counts as one. */
export function safetyBackupJobName(
  cronJobName: string,
  operationId: string,
): string {
  const suffix = `-safety-${shortOperationId(operationId)}`;
  return `${cronJobName.slice(0, 63 - suffix.length)}${suffix}`;
}

function agentContainerIndex(containers: V1Container[]): number {
  return Math.max(
    0,
    containers.findIndex(c => c.name === 'agent'),
  );
}

/**
 * Escapes Kubernetes' `$(VAR)` expansion in an environment value: `$$` reaches the container as
 * `$`, so a backup key such as `$(AWS_SECRET_ACCESS_KEY).dump` stays that text and never becomes
 * the value of another variable of the container.
 */
export function escapeEnvValue(value: string): string {
  return value.split('$').join('$$');
}

function withEnv(
  container: V1Container,
  env: Record<string, string>,
): V1Container {
  return {
    ...container,
    env: [
      ...(container.env ?? []).filter(e => !(e.name in env)),
      ...Object.entries(env).map(([name, value]) => ({
        name,
        value: escapeEnvValue(value),
      })),
    ],
  };
}

/**
 * A restore, verify or cleanup Job built from the database's backup CronJob's `jobTemplate`:
 * the same image, service account, `envFrom`, secrets, resources and deadline. Only the
 * agent container's `args` (and `command` for the cleanup) and the given environment variables
 * change; every value reaches the container as an environment variable, never inside a script.
 * The Job has no owner (it is not a backup of the CronJob), is marked with the operation and
 * its component, is not retried (the engine reports the failure) and is removed
 * `ttlSecondsAfterFinished` after it ends.
 */
export function buildOperationJob(
  cronJob: V1CronJob,
  spec: OperationJobSpec,
): V1Job {
  const template = cronJob.spec?.jobTemplate ?? {};
  const podTemplate = template.spec?.template ?? {};
  const containers = [...(podTemplate.spec?.containers ?? [])];
  if (containers.length === 0)
    throw new Error(
      `CronJob ${cronJob.metadata?.name} has no container in its jobTemplate to build the ${spec.component} Job from`,
    );
  const index = agentContainerIndex(containers);
  const agent = withEnv(containers[index], spec.env);
  containers[index] = spec.command
    ? { ...agent, command: spec.command, args: spec.args }
    : { ...agent, args: spec.args };
  const marks = {
    [NAME_LABEL]: `pg-backup-${spec.component}`,
    [COMPONENT_LABEL]: spec.component,
    'app.kubernetes.io/managed-by': 'pg-backup',
    [OPERATION_LABEL]: spec.operationId,
  };
  const annotations = {
    [OPERATION_LABEL]: spec.operationId,
    [STEP_ANNOTATION]: spec.component,
    [REQUESTED_BY_ANNOTATION]: spec.requestedBy,
  };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: operationJobName(spec.component, spec.operationId),
      namespace: spec.namespace,
      labels: { ...template.metadata?.labels, ...marks },
      annotations,
    },
    spec: {
      ...template.spec,
      backoffLimit: 0,
      ttlSecondsAfterFinished: spec.ttlSecondsAfterFinished,
      template: {
        ...podTemplate,
        metadata: {
          ...podTemplate.metadata,
          labels: { ...podTemplate.metadata?.labels, ...marks },
          annotations: { ...podTemplate.metadata?.annotations, ...annotations },
        },
        spec: { ...podTemplate.spec, containers },
      },
    },
  };
}

/**
 * The safety backup taken before a restore over the live database: the Job
 * `kubectl create job --from=cronjob/...` would create (as "back up now" does), owned by the
 * CronJob so it is part of the backup history, marked with the operation.
 */
export function buildSafetyBackupJob(
  cronJob: V1CronJob,
  spec: { operationId: string; namespace: string; requestedBy: string },
): V1Job {
  const template = cronJob.spec?.jobTemplate ?? {};
  const name = cronJob.metadata?.name ?? '';
  const podTemplate = template.spec?.template ?? {};
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: safetyBackupJobName(name, spec.operationId),
      namespace: spec.namespace,
      labels: {
        ...template.metadata?.labels,
        [OPERATION_LABEL]: spec.operationId,
      },
      annotations: {
        ...template.metadata?.annotations,
        [MANUAL_INSTANTIATE_ANNOTATION]: 'manual',
        [REQUESTED_BY_ANNOTATION]: spec.requestedBy,
        [OPERATION_LABEL]: spec.operationId,
        [STEP_ANNOTATION]: 'safety-backup',
      },
      ownerReferences: [
        {
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          name,
          uid: cronJob.metadata?.uid ?? '',
          controller: true,
        },
      ],
    },
    spec: {
      ...template.spec,
      template: {
        ...podTemplate,
        metadata: {
          ...podTemplate.metadata,
          labels: {
            ...podTemplate.metadata?.labels,
            [OPERATION_LABEL]: spec.operationId,
          },
        },
        spec: podTemplate.spec!,
      },
    },
  };
}
