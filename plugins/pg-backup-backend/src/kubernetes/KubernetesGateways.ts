import { ClusterRegistry } from './ClusterRegistry';
import { KubernetesGateway } from './KubernetesGateway';

/** One gateway per configured cluster, created on first use. */
export class KubernetesGateways {
  private readonly gateways = new Map<string, KubernetesGateway>();

  constructor(
    private readonly registry: ClusterRegistry,
    private readonly timeoutMs: number,
    private readonly sharedTtlMs = 0,
  ) {}

  /** Throws an InputError when an entity's cluster annotation names no configured cluster. */
  check(clusterName: string | undefined): void {
    this.registry.checkName(clusterName);
  }

  /** The gateway of the named cluster (or the only one); throws an InputError for unknown names. */
  for(clusterName: string | undefined): KubernetesGateway {
    const cluster = this.registry.resolve(clusterName);
    let gateway = this.gateways.get(cluster.name);
    if (!gateway) {
      gateway = new KubernetesGateway(
        cluster,
        this.timeoutMs,
        this.sharedTtlMs,
      );
      this.gateways.set(cluster.name, gateway);
    }
    return gateway;
  }
}
