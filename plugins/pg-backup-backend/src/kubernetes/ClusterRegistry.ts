import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { KubeConfig } from '@kubernetes/client-node';

/** Where a pod finds its own service-account token (mounted by Kubernetes). */
export const IN_CLUSTER_TOKEN_FILE =
  '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** One cluster from `kubernetes.clusterLocatorMethods` (type `config`, auth `serviceAccount`). */
export interface ClusterConfig {
  /** Cluster name, as catalog annotations name it. */
  name: string;
  /** API server URL. */
  url: string;
  /** Bearer token of the portal's service account, as configured. */
  serviceAccountToken?: string;
  /** File holding the token when none is configured: the pod's own, re-read as it rotates. */
  tokenFile?: string;
  /** PEM CA bundle, base64-encoded as in kubeconfig. */
  caData?: string;
  /** Path of a PEM CA bundle. */
  caFile?: string;
  /** Skip TLS verification (never in production). */
  skipTLSVerify: boolean;
}

/** A configured cluster pg-backup does not use, and why. */
interface SkippedCluster {
  name: string;
  reason: string;
}

/** Options of {@link ClusterRegistry.fromConfig}. */
export interface ClusterRegistryOptions {
  /** Receives one warning per cluster or locator pg-backup skips. */
  logger?: LoggerService;
  /** Token file used when a cluster has no `serviceAccountToken` (default: the pod's own). */
  inClusterTokenFile?: string;
}

/** The only `authProvider` pg-backup authenticates with. */
const SUPPORTED_AUTH_PROVIDER = 'serviceAccount';

/**
 * The clusters pg-backup may reach, read from the Kubernetes plugin's own
 * `kubernetes.clusterLocatorMethods` so a portal needs only one cluster list. Clusters pg-backup
 * cannot use (another auth provider, another locator type) are skipped with a warning and never
 * stop the backend from starting; an entity naming one gets an explanation instead of health.
 */
export class ClusterRegistry {
  private constructor(
    private readonly clusters: ClusterConfig[],
    private readonly skipped: SkippedCluster[],
  ) {}

  /** Reads every `type: config` locator's `serviceAccount` clusters. */
  static fromConfig(
    config: Config,
    options: ClusterRegistryOptions = {},
  ): ClusterRegistry {
    const tokenFile = options.inClusterTokenFile ?? IN_CLUSTER_TOKEN_FILE;
    const clusters: ClusterConfig[] = [];
    const skipped: SkippedCluster[] = [];
    const locators =
      config.getOptionalConfigArray('kubernetes.clusterLocatorMethods') ?? [];
    locators.forEach((locator, index) => {
      const type = locator.getString('type');
      if (type !== 'config') {
        options.logger?.warn(
          `pg-backup skips kubernetes.clusterLocatorMethods[${index}] of type '${type}': it reads clusters of type 'config' only`,
        );
        return;
      }
      for (const cluster of locator.getOptionalConfigArray('clusters') ?? []) {
        const name = cluster.getString('name');
        const authProvider =
          cluster.getOptionalString('authProvider') ?? SUPPORTED_AUTH_PROVIDER;
        if (authProvider !== SUPPORTED_AUTH_PROVIDER) {
          const why = `uses authProvider '${authProvider}', which pg-backup does not support; it reaches clusters with authProvider '${SUPPORTED_AUTH_PROVIDER}' only`;
          options.logger?.warn(`pg-backup skips cluster '${name}': it ${why}`);
          const reason = `cluster '${name}' ${why}`;
          skipped.push({ name, reason });
          continue;
        }
        const serviceAccountToken = cluster.getOptionalString(
          'serviceAccountToken',
        );
        clusters.push({
          name,
          url: cluster.getString('url'),
          serviceAccountToken,
          tokenFile: serviceAccountToken ? undefined : tokenFile,
          caData: cluster.getOptionalString('caData'),
          caFile: cluster.getOptionalString('caFile'),
          skipTLSVerify: cluster.getOptionalBoolean('skipTLSVerify') ?? false,
        });
      }
    });
    return new ClusterRegistry(clusters, skipped);
  }

  /** Names of the clusters pg-backup uses. */
  names(): string[] {
    return this.clusters.map(c => c.name);
  }

  /**
   * Throws an InputError when an entity's cluster annotation is wrong: it names a cluster
   * missing from `kubernetes.clusterLocatorMethods`, or names none while several are
   * configured. A skipped cluster, or none at all, is not the entity's fault: {@link resolve}
   * explains those, and health reports them as unknown.
   */
  checkName(name: string | undefined): void {
    if (name === undefined) {
      if (this.clusters.length > 1) this.resolve(name);
      return;
    }
    if (!this.skipped.some(c => c.name === name)) this.resolve(name);
  }

  /**
   * The cluster an entity names, or the only usable one when it names none. Throws an
   * InputError naming the valid clusters, or why a named cluster is skipped, otherwise.
   */
  resolve(name: string | undefined): ClusterConfig {
    const configured = this.names().join(', ') || '(none)';
    if (name === undefined) {
      if (this.clusters.length === 1) return this.clusters[0];
      if (this.clusters.length === 0)
        throw new InputError(
          `no Kubernetes cluster pg-backup can use is configured: add one with authProvider '${SUPPORTED_AUTH_PROVIDER}' to kubernetes.clusterLocatorMethods (type 'config')`,
        );
      throw new InputError(
        `the entity names no cluster (pg-backup.io/cluster) and ${this.clusters.length} clusters are configured in kubernetes.clusterLocatorMethods; name one of: ${configured}`,
      );
    }
    const cluster = this.clusters.find(c => c.name === name);
    if (cluster) return cluster;
    const skipped = this.skipped.find(c => c.name === name);
    if (skipped) throw new InputError(skipped.reason);
    throw new InputError(
      `cluster '${name}' is not configured in kubernetes.clusterLocatorMethods; configured: ${configured}`,
    );
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
          caFile: cluster.caFile,
          skipTLSVerify: cluster.skipTLSVerify,
        },
      ],
      users: [
        cluster.serviceAccountToken || !cluster.tokenFile
          ? { name: 'pg-backup', token: cluster.serviceAccountToken }
          : {
              name: 'pg-backup',
              authProvider: {
                name: 'tokenFile',
                config: { tokenFile: cluster.tokenFile },
              },
            },
      ],
      contexts: [
        { name: cluster.name, cluster: cluster.name, user: 'pg-backup' },
      ],
      currentContext: cluster.name,
    });
    return kc;
  }
}
