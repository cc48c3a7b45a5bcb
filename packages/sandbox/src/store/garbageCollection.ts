import { ResourceType } from '../api/resources';
import { KubeObject } from '../api/selectors';
import { ObjectStore } from './ObjectStore';

/** How dependents are treated when their owner is deleted. */
export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

type Owned = KubeObject & {
  metadata: { ownerReferences?: Array<{ uid: string }> };
};

/**
 * Deletes an object and, unless orphaning, every object whose ownerReferences name it,
 * recursively (a Job's pods, a CronJob's Jobs, a namespace's contents). Orphaned dependents lose
 * the owner reference. Returns the deleted object.
 */
export function deleteWithDependents(
  store: ObjectStore,
  type: ResourceType,
  object: KubeObject,
  policy: PropagationPolicy,
): KubeObject {
  const deleted = store.delete(
    type,
    object.metadata.namespace,
    object.metadata.name,
  );
  const uid = object.metadata.uid;
  for (const { type: depType, object: dependent } of store.all()) {
    const owned = dependent as Owned;
    const inNamespace =
      type.kind === 'Namespace' &&
      dependent.metadata.namespace === object.metadata.name;
    const ownedByIt =
      owned.metadata.ownerReferences?.some(ref => ref.uid === uid) ?? false;
    if (!inNamespace && !ownedByIt) continue;
    if (
      !store.find(
        depType,
        dependent.metadata.namespace,
        dependent.metadata.name,
      )
    )
      continue;
    if (policy === 'Orphan' && !inNamespace) {
      store.mutate(
        depType,
        dependent.metadata.namespace,
        dependent.metadata.name,
        o => {
          (o as Owned).metadata.ownerReferences = (
            o as Owned
          ).metadata.ownerReferences?.filter(ref => ref.uid !== uid);
        },
      );
    } else {
      deleteWithDependents(store, depType, dependent, policy);
    }
  }
  return deleted;
}
