import { ObjectStore } from '../store/ObjectStore';
import { deleteWithDependents } from '../store/garbageCollection';
import {
  controllerRef,
  createObject,
  k8sTime,
  Obj,
  ownedBy,
  randomSuffix,
  TYPES,
} from './objects';

/** Annotation marking a pod that stands for a workload replica but runs no process. */
export const VIRTUAL_POD_ANNOTATION = 'sandbox.pg-backup.io/virtual';

/**
 * Deployments and StatefulSets: `spec.replicas` (and the scale subresource) drive virtual pods
 * (Running, no process) and `status.replicas`/`readyReplicas`/`availableReplicas`, so `kubectl
 * scale` and `kubectl get pods -l ...` behave as on a cluster. No ReplicaSets are modelled.
 */
export class WorkloadController {
  constructor(private readonly store: ObjectStore) {}

  /** Matches every workload's pods and status to its replicas. */
  reconcile(now: Date): void {
    for (const type of [TYPES.Deployment, TYPES.StatefulSet]) {
      for (const workload of this.store.list(type) as Obj[]) {
        const desired = workload.spec?.replicas ?? 1;
        const pods = ownedBy(this.store, TYPES.Pod, workload).sort((a, b) =>
          a.metadata.name < b.metadata.name ? -1 : 1,
        );
        for (const extra of pods.slice(desired).reverse())
          deleteWithDependents(this.store, TYPES.Pod, extra, 'Background');
        for (let i = pods.length; i < desired; i++) {
          const name =
            type === TYPES.StatefulSet
              ? `${workload.metadata.name}-${i}`
              : `${workload.metadata.name}-${hash(workload)}-${randomSuffix()}`;
          const pod = createObject(this.store, TYPES.Pod, {
            metadata: {
              name,
              namespace: workload.metadata.namespace,
              labels: { ...workload.spec.template.metadata?.labels },
              annotations: {
                ...workload.spec.template.metadata?.annotations,
                [VIRTUAL_POD_ANNOTATION]: 'true',
              },
              ownerReferences: [controllerRef(workload)],
            },
            spec: structuredClone(workload.spec.template.spec),
          });
          this.store.update(TYPES.Pod, {
            ...pod,
            status: {
              phase: 'Running',
              startTime: k8sTime(now),
              conditions: [
                {
                  type: 'Ready',
                  status: 'True',
                  lastTransitionTime: k8sTime(now),
                },
              ],
              containerStatuses: pod.spec.containers.map(
                (c: { name: string; image: string }) => ({
                  name: c.name,
                  image: c.image,
                  ready: true,
                  started: true,
                  restartCount: 0,
                  state: { running: { startedAt: k8sTime(now) } },
                }),
              ),
            },
          });
        }
        const status = {
          observedGeneration: workload.metadata.generation,
          replicas: desired,
          readyReplicas: desired || undefined,
          availableReplicas: desired || undefined,
          updatedReplicas: desired || undefined,
          ...(type === TYPES.StatefulSet
            ? { currentReplicas: desired || undefined }
            : {}),
          conditions: [
            {
              type: 'Available',
              status: 'True',
              reason: 'MinimumReplicasAvailable',
              message: 'Deployment has minimum availability.',
            },
          ],
        };
        const clean = JSON.parse(JSON.stringify(status));
        if (JSON.stringify(clean) !== JSON.stringify(workload.status ?? {})) {
          const current = this.store.get(
            type,
            workload.metadata.namespace,
            workload.metadata.name,
          );
          this.store.update(type, { ...current, status: clean });
        }
      }
    }
  }
}

function hash(workload: Obj): string {
  let h = 0;
  for (const ch of JSON.stringify(workload.spec.template))
    h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h.toString(36).slice(0, 10).padEnd(10, 'x');
}
