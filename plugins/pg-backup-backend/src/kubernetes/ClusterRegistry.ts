import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { KubeConfig } from '@kubernetes/client-node';

/** One cluster from `kubernetes.clusterLocatorMethods` (type `config`). */
export interface ClusterConfig {
  /** Cluster name, as catalog annotations name it. */
  name: string;
  /** API server URL. */
  url: string;
  /** Bearer token of the portal's service account. */
  serviceAccountToken?: string;
  /** PEM CA bundle, base64-encoded as in kubeconfig. */
  caData?: string;
  /** Skip TLS verification (never in production). */
  skipTLSVerify: boolean;
}

/**
 * The clusters pg-backup may reach, read from the Kubernetes plugin's own
 * `kubernetes.clusterLocatorMethods` so a portal needs only one cluster list.
 */
export class ClusterRegistry {
  private constructor(private readonly clusters: ClusterConfig[]) {}

  /** Reads every `type: config` locator; other locator types are not supported by pg-backup. */
  static fromConfig(config: Config): ClusterRegistry {
    const clusters: ClusterConfig[] = [];
    for (const locator of config.getOptionalConfigArray(
      'kubernetes.clusterLocatorMethods',
    ) ?? []) {
      if (locator.getString('type') !== 'config') continue;
      for (const cluster of locator.getOptionalConfigArray('clusters') ?? []) {
        const authProvider =
          cluster.getOptionalString('authProvider') ?? 'serviceAccount';
        if (authProvider !== 'serviceAccount') {
          throw new InputError(
            `kubernetes cluster ${cluster.getString(
              'name',
            )}: authProvider '${authProvider}' is not supported by pg-backup; use 'serviceAccount'`,
          );
        }
        clusters.push({
          name: cluster.getString('name'),
          url: cluster.getString('url'),
          serviceAccountToken: cluster.getOptionalString('serviceAccountToken'),
          caData: cluster.getOptionalString('caData'),
          skipTLSVerify: cluster.getOptionalBoolean('skipTLSVerify') ?? false,
        });
      }
    }
    return new ClusterRegistry(clusters);
  }

  /** Names of the configured clusters. */
  names(): string[] {
    return this.clusters.map(c => c.name);
  }

  /**
   * The cluster an entity names, or the only configured one when it names none. Throws an
   * InputError naming the valid clusters otherwise.
   */
  resolve(name: string | undefined): ClusterConfig {
    if (name === undefined) {
      if (this.clusters.length === 1) return this.clusters[0];
      throw new InputError(
        `the entity names no cluster (pg-backup.io/cluster) and ${
          this.clusters.length
        } clusters are configured; name one of: ${
          this.names().join(', ') || '(none)'
        }`,
      );
    }
    const cluster = this.clusters.find(c => c.name === name);
    if (!cluster)
      throw new InputError(
        `cluster '${name}' is not configured in kubernetes.clusterLocatorMethods; configured: ${
          this.names().join(', ') || '(none)'
        }`,
      );
    return cluster;
  }

  /** A kubeconfig for one cluster, for `@kubernetes/client-node`. */
  static kubeConfig(cluster: ClusterConfig): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [
        {
          name: cluster.name,
          server: cluster.url,
          caData: cluster.caData,
          skipTLSVerify: cluster.skipTLSVerify,
        },
      ],
      users: [{ name: 'pg-backup', token: cluster.serviceAccountToken }],
      contexts: [
        { name: cluster.name, cluster: cluster.name, user: 'pg-backup' },
      ],
      currentContext: cluster.name,
    });
    return kc;
  }
}
