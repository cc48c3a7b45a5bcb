import { ResourceType } from './resources';
import { KubeObject } from './selectors';

type Obj = KubeObject & {
  spec?: any;
  status?: any;
  data?: Record<string, unknown>;
  type?: string;
};

interface Column {
  name: string;
  type: string;
  format?: string;
  priority?: number;
  cell: (o: Obj, now: number) => string | number | boolean;
}

/** Kubernetes' short human durations: 45s, 5m, 3h, 2d, 3y. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 8) return `${d}d${h % 24 ? `${h % 24}h` : ''}`;
  if (d < 730) return `${d}d`;
  return `${Math.floor(d / 365)}y`;
}

const since = (time: string | undefined, now: number) =>
  time ? humanDuration(now - Date.parse(time)) : '<none>';
const name: Column = {
  name: 'Name',
  type: 'string',
  format: 'name',
  cell: o => o.metadata.name,
};
const age: Column = {
  name: 'Age',
  type: 'string',
  cell: (o, now) => since(o.metadata.creationTimestamp as string, now),
};

function podStatus(o: Obj): string {
  if (o.metadata.deletionTimestamp) return 'Terminating';
  for (const s of o.status?.containerStatuses ?? []) {
    if (
      s.state?.waiting?.reason &&
      s.state.waiting.reason !== 'ContainerCreating'
    )
      return s.state.waiting.reason;
    if (s.state?.terminated && o.status?.phase !== 'Succeeded')
      return s.state.terminated.reason ?? 'Error';
  }
  if (o.status?.phase === 'Succeeded') return 'Completed';
  if (o.status?.phase === 'Failed') return o.status?.reason ?? 'Error';
  if (
    o.status?.phase === 'Pending' &&
    (o.status?.containerStatuses ?? []).length
  )
    return 'ContainerCreating';
  return o.status?.phase ?? 'Pending';
}

function jobStatus(o: Obj): string {
  const conditions: Array<{ type: string; status: string }> =
    o.status?.conditions ?? [];
  if (conditions.some(c => c.type === 'Complete' && c.status === 'True'))
    return 'Complete';
  if (conditions.some(c => c.type === 'Failed' && c.status === 'True'))
    return 'Failed';
  if (o.spec?.suspend) return 'Suspended';
  return 'Running';
}

const COLUMNS: Record<string, Column[]> = {
  Pod: [
    name,
    {
      name: 'Ready',
      type: 'string',
      cell: o =>
        `${
          (o.status?.containerStatuses ?? []).filter(
            (s: { ready?: boolean }) => s.ready,
          ).length
        }/${(o.spec?.containers ?? []).length}`,
    },
    { name: 'Status', type: 'string', cell: podStatus },
    {
      name: 'Restarts',
      type: 'string',
      cell: o =>
        String(
          (o.status?.containerStatuses ?? []).reduce(
            (n: number, s: { restartCount?: number }) =>
              n + (s.restartCount ?? 0),
            0,
          ),
        ),
    },
    age,
    {
      name: 'IP',
      type: 'string',
      priority: 1,
      cell: o => o.status?.podIP ?? '<none>',
    },
    {
      name: 'Node',
      type: 'string',
      priority: 1,
      cell: o => o.spec?.nodeName ?? '<none>',
    },
  ],
  Job: [
    name,
    { name: 'Status', type: 'string', cell: jobStatus },
    {
      name: 'Completions',
      type: 'string',
      cell: o => `${o.status?.succeeded ?? 0}/${o.spec?.completions ?? 1}`,
    },
    {
      name: 'Duration',
      type: 'string',
      cell: (o, now) =>
        o.status?.startTime
          ? humanDuration(
              (o.status.completionTime
                ? Date.parse(o.status.completionTime)
                : now) - Date.parse(o.status.startTime),
            )
          : '',
    },
    age,
    {
      name: 'Containers',
      type: 'string',
      priority: 1,
      cell: o =>
        (o.spec?.template?.spec?.containers ?? [])
          .map((c: { name: string }) => c.name)
          .join(','),
    },
    {
      name: 'Images',
      type: 'string',
      priority: 1,
      cell: o =>
        (o.spec?.template?.spec?.containers ?? [])
          .map((c: { image: string }) => c.image)
          .join(','),
    },
  ],
  CronJob: [
    name,
    { name: 'Schedule', type: 'string', cell: o => o.spec?.schedule ?? '' },
    {
      name: 'Timezone',
      type: 'string',
      cell: o => o.spec?.timeZone ?? '<none>',
    },
    {
      name: 'Suspend',
      type: 'boolean',
      cell: o => (o.spec?.suspend ? 'True' : 'False'),
    },
    {
      name: 'Active',
      type: 'integer',
      cell: o => (o.status?.active ?? []).length,
    },
    {
      name: 'Last Schedule',
      type: 'string',
      cell: (o, now) => since(o.status?.lastScheduleTime, now),
    },
    age,
  ],
  Deployment: [
    name,
    {
      name: 'Ready',
      type: 'string',
      cell: o => `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}`,
    },
    {
      name: 'Up-to-date',
      type: 'integer',
      cell: o => o.status?.updatedReplicas ?? 0,
    },
    {
      name: 'Available',
      type: 'integer',
      cell: o => o.status?.availableReplicas ?? 0,
    },
    age,
  ],
  StatefulSet: [
    name,
    {
      name: 'Ready',
      type: 'string',
      cell: o => `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}`,
    },
    age,
  ],
  Namespace: [
    name,
    { name: 'Status', type: 'string', cell: o => o.status?.phase ?? 'Active' },
    age,
  ],
  ConfigMap: [
    name,
    {
      name: 'Data',
      type: 'integer',
      cell: o => Object.keys(o.data ?? {}).length,
    },
    age,
  ],
  Secret: [
    name,
    { name: 'Type', type: 'string', cell: o => o.type ?? 'Opaque' },
    {
      name: 'Data',
      type: 'integer',
      cell: o => Object.keys(o.data ?? {}).length,
    },
    age,
  ],
};

/** Whether the client asked for a meta.k8s.io Table (kubectl get does). */
export function wantsTable(accept: string | undefined): boolean {
  return /as=Table/.test(accept ?? '') && /g=meta\.k8s\.io/.test(accept ?? '');
}

/**
 * What each Table row carries, from the `includeObject` query parameter: its object's metadata
 * (the default), the whole object (kubectl asks for it to `--sort-by` a field), or nothing.
 */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** Reads `includeObject`; an unknown value is the API server's default, `Metadata`. */
export function includeObjectOf(value: string | null): IncludeObject {
  return value === 'None' || value === 'Object' ? value : 'Metadata';
}

/** Renders objects as the server-side Table kubectl prints. */
export function toTable(
  type: ResourceType,
  objects: KubeObject[],
  resourceVersion: string,
  now: number,
  extra: Record<string, unknown> = {},
  include: IncludeObject = 'Metadata',
): Record<string, unknown> {
  const columns = COLUMNS[type.kind] ?? [name, age];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion, ...extra },
    columnDefinitions: columns.map(c => ({
      name: c.name,
      type: c.type,
      format: c.format ?? '',
      description: '',
      priority: c.priority ?? 0,
    })),
    rows: objects.map(o => ({
      cells: columns.map(c => c.cell(o as Obj, now)),
      ...(include === 'Object' && { object: o }),
      ...(include === 'Metadata' && {
        object: {
          kind: 'PartialObjectMetadata',
          apiVersion: 'meta.k8s.io/v1',
          metadata: o.metadata,
        },
      }),
    })),
  };
}
