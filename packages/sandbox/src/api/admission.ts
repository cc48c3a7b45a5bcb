import { randomUUID } from 'crypto';
import { CronSchedule } from '@pg-backup/backstage-plugin-pg-backup-common';
import { InvalidCause, invalid } from './errors';
import { ResourceType } from './resources';
import { KubeObject } from './selectors';

type Obj = Record<string, any>;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function checkName(
  type: ResourceType,
  name: string,
  causes: InvalidCause[],
): void {
  const label = type.kind === 'Namespace' || type.kind === 'Service';
  let max = label ? 63 : 253;
  if (type.kind === 'CronJob') max = 52;
  if (name.length > max) {
    causes.push({
      field: 'metadata.name',
      message: `Invalid value: "${name}": must be no more than ${max} characters`,
    });
  } else if (!(label ? DNS_LABEL : DNS_SUBDOMAIN).test(name)) {
    causes.push({
      field: 'metadata.name',
      message: `Invalid value: "${name}": a lowercase RFC 1123 ${
        label ? 'label' : 'subdomain'
      } must consist of lower case alphanumeric characters, '-'${
        label ? '' : " or '.'"
      }, and must start and end with an alphanumeric character`,
    });
  }
}

function required(causes: InvalidCause[], field: string): void {
  causes.push({
    field,
    message: 'Required value',
    reason: 'FieldValueRequired',
  });
}

function checkPodSpec(
  spec: Obj | undefined,
  path: string,
  causes: InvalidCause[],
  restartPolicies?: string[],
): void {
  if (!spec || typeof spec !== 'object') {
    required(causes, path);
    return;
  }
  const containers = spec.containers;
  if (!Array.isArray(containers) || containers.length === 0) {
    required(causes, `${path}.containers`);
  } else {
    const names = new Set<string>();
    containers.forEach((c: Obj, i: number) => {
      const p = `${path}.containers[${i}]`;
      if (!c?.name) required(causes, `${p}.name`);
      else if (names.has(c.name))
        causes.push({
          field: `${p}.name`,
          message: `Duplicate value: "${c.name}"`,
          reason: 'FieldValueDuplicate',
        });
      else names.add(c.name);
      if (!c?.image) required(causes, `${p}.image`);
      for (const [j, e] of (Array.isArray(c?.env) ? c.env : []).entries()) {
        if (!e?.name) required(causes, `${p}.env[${j}].name`);
      }
      c.terminationMessagePath ??= '/dev/termination-log';
      c.terminationMessagePolicy ??= 'File';
      c.imagePullPolicy ??=
        c.image?.endsWith(':latest') || !c.image?.includes(':')
          ? 'Always'
          : 'IfNotPresent';
    });
  }
  spec.restartPolicy ??=
    !restartPolicies || restartPolicies.includes('Always')
      ? 'Always'
      : undefined;
  if (restartPolicies && !restartPolicies.includes(spec.restartPolicy)) {
    causes.push({
      field: `${path}.restartPolicy`,
      message: spec.restartPolicy
        ? `Unsupported value: "${
            spec.restartPolicy
          }": supported values: ${restartPolicies
            .map(r => `"${r}"`)
            .join(', ')}`
        : `Required value: valid values: ${restartPolicies
            .map(r => `"${r}"`)
            .join(', ')}`,
      reason: spec.restartPolicy
        ? 'FieldValueNotSupported'
        : 'FieldValueRequired',
    });
  }
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  const volumes = new Set(
    (Array.isArray(spec.volumes) ? spec.volumes : []).map((v: Obj) => v?.name),
  );
  (Array.isArray(containers) ? containers : []).forEach((c: Obj, i: number) => {
    (Array.isArray(c?.volumeMounts) ? c.volumeMounts : []).forEach(
      (m: Obj, j: number) => {
        if (!volumes.has(m?.name)) {
          causes.push({
            field: `${path}.containers[${i}].volumeMounts[${j}].name`,
            message: `Not found: "${m?.name}"`,
            reason: 'FieldValueNotFound',
          });
        }
        if (!m?.mountPath)
          required(
            causes,
            `${path}.containers[${i}].volumeMounts[${j}].mountPath`,
          );
      },
    );
  });
}

function matchesSelector(
  selector: Obj | undefined,
  labels: Obj | undefined,
): boolean {
  const match = selector?.matchLabels ?? {};
  return Object.entries(match).every(([k, v]) => labels?.[k] === v);
}

/**
 * Defaults and validates an object on create, as the API server's registry strategies do for
 * the fields the sandbox models. Throws 422 Invalid with every cause found.
 */
export function admitCreate(type: ResourceType, object: KubeObject): void {
  const o = object as Obj;
  const causes: InvalidCause[] = [];
  const name = o.metadata.name as string;
  checkName(type, name, causes);
  o.metadata.uid = randomUUID();
  switch (type.kind) {
    case 'Namespace':
      o.spec = { finalizers: ['kubernetes'] };
      o.status = { phase: 'Active' };
      o.metadata.labels = {
        ...o.metadata.labels,
        'kubernetes.io/metadata.name': name,
      };
      break;
    case 'Secret': {
      o.type ??= 'Opaque';
      const data: Obj = { ...(o.data ?? {}) };
      for (const [k, v] of Object.entries(data)) {
        if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) {
          causes.push({
            field: `data[${k}]`,
            message: 'Invalid value: must be base64-encoded bytes',
          });
        }
      }
      for (const [k, v] of Object.entries(o.stringData ?? {}))
        data[k] = Buffer.from(String(v)).toString('base64');
      delete o.stringData;
      o.data = data;
      break;
    }
    case 'Pod':
      checkPodSpec(o.spec, 'spec', causes);
      o.status = { phase: 'Pending', qosClass: 'BestEffort' };
      break;
    case 'Job': {
      const spec = (o.spec ??= {});
      spec.backoffLimit ??= 6;
      spec.completions ??= 1;
      spec.parallelism ??= 1;
      spec.completionMode ??= 'NonIndexed';
      spec.suspend ??= false;
      spec.podReplacementPolicy ??= 'TerminatingOrFailed';
      if (!spec.template) required(causes, 'spec.template');
      else {
        const uidLabels = {
          'batch.kubernetes.io/controller-uid': o.metadata.uid,
          'batch.kubernetes.io/job-name': name,
          'controller-uid': o.metadata.uid,
          'job-name': name,
        };
        spec.template.metadata = {
          ...spec.template.metadata,
          labels: { ...spec.template.metadata?.labels, ...uidLabels },
        };
        if (!spec.manualSelector)
          spec.selector = {
            matchLabels: {
              'batch.kubernetes.io/controller-uid': o.metadata.uid,
            },
          };
        o.metadata.labels = { ...uidLabels, ...o.metadata.labels };
        checkPodSpec(spec.template.spec, 'spec.template.spec', causes, [
          'OnFailure',
          'Never',
        ]);
      }
      if (spec.parallelism > 1 || spec.completions > 1) {
        causes.push({
          field: 'spec.parallelism',
          message:
            'Unsupported value: the sandbox runs Jobs with parallelism 1 and completions 1 only',
        });
      }
      o.status = {};
      break;
    }
    case 'CronJob': {
      const spec = (o.spec ??= {});
      if (!spec.schedule) required(causes, 'spec.schedule');
      else {
        const parsed = CronSchedule.parse(
          spec.schedule,
          spec.timeZone ?? 'UTC',
        );
        if (typeof parsed === 'string')
          causes.push({
            field:
              spec.timeZone && parsed.includes('time zone')
                ? 'spec.timeZone'
                : 'spec.schedule',
            message: `Invalid value: ${parsed}`,
          });
      }
      spec.concurrencyPolicy ??= 'Allow';
      if (!['Allow', 'Forbid', 'Replace'].includes(spec.concurrencyPolicy)) {
        causes.push({
          field: 'spec.concurrencyPolicy',
          message: `Unsupported value: "${spec.concurrencyPolicy}": supported values: "Allow", "Forbid", "Replace"`,
          reason: 'FieldValueNotSupported',
        });
      }
      spec.suspend ??= false;
      spec.successfulJobsHistoryLimit ??= 3;
      spec.failedJobsHistoryLimit ??= 1;
      if (!spec.jobTemplate?.spec?.template)
        required(causes, 'spec.jobTemplate.spec.template');
      else
        checkPodSpec(
          spec.jobTemplate.spec.template.spec,
          'spec.jobTemplate.spec.template.spec',
          causes,
          ['OnFailure', 'Never'],
        );
      o.status = {};
      break;
    }
    case 'Deployment':
    case 'StatefulSet': {
      const spec = (o.spec ??= {});
      spec.replicas ??= 1;
      if (!spec.selector) required(causes, 'spec.selector');
      else if (
        !matchesSelector(spec.selector, spec.template?.metadata?.labels)
      ) {
        causes.push({
          field: 'spec.template.metadata.labels',
          message: '`selector` does not match template `labels`',
        });
      }
      if (!spec.template) required(causes, 'spec.template');
      else
        checkPodSpec(spec.template.spec, 'spec.template.spec', causes, [
          'Always',
        ]);
      if (type.kind === 'Deployment')
        spec.strategy ??= {
          type: 'RollingUpdate',
          rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
        };
      o.status = {};
      break;
    }
    default:
      break;
  }
  if (causes.length > 0) throw invalid(type.kind, name, causes, type.group);
}

/** Validates an update against immutable fields. */
export function admitUpdate(
  type: ResourceType,
  current: KubeObject,
  next: KubeObject,
): void {
  const c = current as Obj;
  const n = next as Obj;
  const immutable = type.kind === 'Job' ? ['template', 'selector'] : [];
  const changed = immutable.filter(
    field =>
      JSON.stringify(c.spec?.[field]) !== JSON.stringify(n.spec?.[field]),
  );
  if (changed.length > 0) {
    throw invalid(
      type.kind,
      current.metadata.name,
      changed.map(field => ({
        field: `spec.${field}`,
        message: 'Invalid value: field is immutable',
      })),
      type.group,
    );
  }
  if (type.kind === 'CronJob' && n.spec?.schedule !== c.spec?.schedule) {
    const parsed = CronSchedule.parse(
      n.spec?.schedule ?? '',
      n.spec?.timeZone ?? 'UTC',
    );
    if (typeof parsed === 'string')
      throw invalid(
        type.kind,
        current.metadata.name,
        [{ field: 'spec.schedule', message: `Invalid value: ${parsed}` }],
        type.group,
      );
  }
  if (
    (type.kind === 'Deployment' || type.kind === 'StatefulSet') &&
    typeof n.spec?.replicas === 'number' &&
    n.spec.replicas < 0
  ) {
    throw invalid(
      type.kind,
      current.metadata.name,
      [
        {
          field: 'spec.replicas',
          message: `Invalid value: ${n.spec.replicas}: must be greater than or equal to 0`,
        },
      ],
      type.group,
    );
  }
}
