import { admitCreate } from '../api/admission';
import { RESOURCE_TYPES, ResourceType } from '../api/resources';
import { KubeObject } from '../api/selectors';
import { ObjectStore } from '../store/ObjectStore';

/** The resource types controllers work with, by kind. */
export const TYPES = Object.fromEntries(
  RESOURCE_TYPES.map(t => [t.kind, t]),
) as Record<
  | 'Namespace'
  | 'Pod'
  | 'Secret'
  | 'ConfigMap'
  | 'Event'
  | 'ServiceAccount'
  | 'Job'
  | 'CronJob'
  | 'Deployment'
  | 'StatefulSet',
  ResourceType
>;

/** A loosely typed Kubernetes object for controller code. */
export type Obj = KubeObject & { spec?: any; status?: any };

/** Objects whose controller owner reference names `owner`. */
export function ownedBy(
  store: ObjectStore,
  type: ResourceType,
  owner: KubeObject,
): Obj[] {
  return store
    .list(type, owner.metadata.namespace)
    .filter(o =>
      (o.metadata.ownerReferences as Array<{ uid: string }> | undefined)?.some(
        ref => ref.uid === owner.metadata.uid,
      ),
    ) as Obj[];
}

/** The owner reference a controller puts on what it creates. */
export function controllerRef(owner: KubeObject): Record<string, unknown> {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Creates an object through the same defaulting and validation as the API. */
export function createObject(
  store: ObjectStore,
  type: ResourceType,
  object: KubeObject,
): Obj {
  admitCreate(type, object);
  return store.create(type, object) as Obj;
}

/** RFC 3339 with seconds, as Kubernetes writes metav1.Time. */
export function k8sTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A random 5-character suffix of the alphabet Kubernetes uses for generated names. */
export function randomSuffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let s = '';
  for (let i = 0; i < 5; i++)
    s += alphabet[Math.floor(Math.random() * alphabet.length)];
  return s;
}

/** Records an Event about an object, as controllers do (`kubectl describe` shows them). */
export function recordEvent(
  store: ObjectStore,
  now: Date,
  involved: KubeObject,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
): void {
  const namespace = involved.metadata.namespace ?? 'default';
  if (!store.find(TYPES.Namespace, undefined, namespace)) return;
  store.create(TYPES.Event, {
    metadata: {
      name: `${involved.metadata.name}.${now
        .getTime()
        .toString(16)}${randomSuffix()}`,
      namespace,
    },
    involvedObject: {
      apiVersion: involved.apiVersion,
      kind: involved.kind,
      name: involved.metadata.name,
      namespace,
      uid: involved.metadata.uid,
    },
    reason,
    message,
    type,
    source: { component: `${String(involved.kind).toLowerCase()}-controller` },
    firstTimestamp: k8sTime(now),
    lastTimestamp: k8sTime(now),
    count: 1,
  });
}
