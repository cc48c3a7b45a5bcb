import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { JsonObject } from '@backstage/types';
import { Sandbox, portalGrant } from '@internal/sandbox';
import { ClusterRegistry } from './ClusterRegistry';
import { KubernetesGateway } from './KubernetesGateway';

jest.setTimeout(60_000);

/** A logger recording its warnings. */
function warningLogger() {
  const warnings: string[] = [];
  const logger = mockServices.logger.mock({
    warn: message => {
      warnings.push(message);
    },
  });
  return { warnings, logger };
}

function registry(
  clusterLocatorMethods: JsonObject[],
  options: { inClusterTokenFile?: string } = {},
) {
  const { warnings, logger } = warningLogger();
  const result = ClusterRegistry.fromConfig(
    new ConfigReader({ kubernetes: { clusterLocatorMethods } }),
    { logger, ...options },
  );
  return { registry: result, warnings };
}

describe('ClusterRegistry', () => {
  it('skips clusters of other auth providers with one warning each, and explains them to entities', () => {
    const { registry: clusters, warnings } = registry([
      {
        type: 'config',
        clusters: [
          {
            name: 'sandbox',
            url: 'https://127.0.0.1:1',
            authProvider: 'serviceAccount',
          },
          { name: 'eks-prod', url: 'https://eks.example', authProvider: 'aws' },
          {
            name: 'gke-dev',
            url: 'https://gke.example',
            authProvider: 'google',
          },
        ],
      },
      { type: 'gke', projectId: 'some-project' },
    ]);
    expect(clusters.names()).toEqual(['sandbox']);
    expect(warnings).toEqual([
      expect.stringMatching(/cluster 'eks-prod': it uses authProvider 'aws'/),
      expect.stringMatching(/cluster 'gke-dev': it uses authProvider 'google'/),
      expect.stringMatching(
        /kubernetes\.clusterLocatorMethods\[1\] of type 'gke'/,
      ),
    ]);
    // The only usable cluster is the default, even though others are configured.
    expect(clusters.resolve(undefined).name).toBe('sandbox');
    expect(() => clusters.checkName('eks-prod')).not.toThrow();
    expect(() => clusters.resolve('eks-prod')).toThrow(
      "cluster 'eks-prod' uses authProvider 'aws', which pg-backup does not support; it reaches clusters with authProvider 'serviceAccount' only",
    );
    expect(() => clusters.checkName('nope')).toThrow(
      "cluster 'nope' is not configured in kubernetes.clusterLocatorMethods; configured: sandbox",
    );
  });

  it('names kubernetes.clusterLocatorMethods when no cluster is usable', () => {
    const { registry: clusters } = registry([
      {
        type: 'config',
        clusters: [
          { name: 'eks', url: 'https://eks.example', authProvider: 'aws' },
        ],
      },
    ]);
    expect(() => clusters.checkName(undefined)).not.toThrow();
    expect(() => clusters.resolve(undefined)).toThrow(
      "no Kubernetes cluster pg-backup can use is configured: add one with authProvider 'serviceAccount' to kubernetes.clusterLocatorMethods (type 'config')",
    );
    const empty = ClusterRegistry.fromConfig(new ConfigReader({}));
    expect(empty.names()).toEqual([]);
    expect(() => empty.resolve(undefined)).toThrow(
      /kubernetes\.clusterLocatorMethods/,
    );
  });

  it('asks an entity to name its cluster when several are usable', () => {
    const { registry: clusters } = registry([
      {
        type: 'config',
        clusters: [
          { name: 'a', url: 'https://a.example' },
          { name: 'b', url: 'https://b.example' },
        ],
      },
    ]);
    expect(() => clusters.checkName(undefined)).toThrow(
      'the entity names no cluster (pg-backup.io/cluster) and 2 clusters are configured in kubernetes.clusterLocatorMethods; name one of: a, b',
    );
  });

  describe('against the sandbox API server', () => {
    let sandbox: Sandbox;
    let dir: string;
    const grant = portalGrant([{ namespace: 'qawave', deployments: [] }]);

    beforeAll(async () => {
      sandbox = await Sandbox.start({
        namespaces: ['qawave'],
        tokens: [grant],
      });
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pg-backup-clusters-'));
    });

    afterAll(async () => {
      await sandbox.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    function sandboxCluster(extra: JsonObject): JsonObject[] {
      return [
        {
          type: 'config',
          clusters: [{ name: 'sandbox', url: sandbox.url, ...extra }],
        },
      ];
    }

    it('trusts the CA named by caFile', async () => {
      const caFile = path.join(dir, 'ca.pem');
      fs.writeFileSync(caFile, sandbox.caCertificate);
      const trusted = registry(
        sandboxCluster({ caFile, serviceAccountToken: grant.token }),
      ).registry.resolve('sandbox');
      await expect(
        new KubernetesGateway(trusted, 5_000).listCronJobsShared('qawave'),
      ).resolves.toEqual([]);

      // Without the CA the sandbox's self-signed certificate is refused.
      const untrusted = registry(
        sandboxCluster({ serviceAccountToken: grant.token }),
      ).registry.resolve('sandbox');
      await expect(
        new KubernetesGateway(untrusted, 5_000).listCronJobsShared('qawave'),
      ).rejects.toThrow(/cluster sandbox/);
    });

    it("uses the pod's own service-account token when none is configured", async () => {
      const tokenFile = path.join(dir, 'token');
      fs.writeFileSync(tokenFile, grant.token);
      const caData = Buffer.from(sandbox.caCertificate).toString('base64');
      const inCluster = registry(sandboxCluster({ caData }), {
        inClusterTokenFile: tokenFile,
      }).registry.resolve('sandbox');
      expect(inCluster.tokenFile).toBe(tokenFile);
      await expect(
        new KubernetesGateway(inCluster, 5_000).listCronJobsShared('qawave'),
      ).resolves.toEqual([]);

      // A wrong token in the file is refused by the API server: the file is what is sent.
      const wrongFile = path.join(dir, 'wrong-token');
      fs.writeFileSync(wrongFile, 'not-a-token');
      const wrong = registry(sandboxCluster({ caData }), {
        inClusterTokenFile: wrongFile,
      }).registry.resolve('sandbox');
      await expect(
        new KubernetesGateway(wrong, 5_000).listCronJobsShared('qawave'),
      ).rejects.toThrow(/401|Unauthorized/i);
    });
  });
});
