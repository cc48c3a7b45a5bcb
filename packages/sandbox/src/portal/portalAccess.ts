import crypto from 'node:crypto';
import { stringify } from 'yaml';
import type { AccessRule, TokenGrant } from '../api/authorization';

/** One namespace the portal may work in, and the Deployments it may scale there. */
export interface PortalNamespace {
  namespace: string;
  deployments: string[];
}

/**
 * The rules of deploy/kubernetes/postgresql-backup/rbac.yaml (Role pg-backup-portal), per
 * namespace: what the portal's backend is allowed, and nothing more. The backend's
 * `src/security/rbac.test.ts` checks that they equal the Role.
 */
export function portalRules(namespaces: PortalNamespace[]): AccessRule[] {
  return namespaces.flatMap(({ namespace, deployments }) => {
    const ns = [namespace];
    const rules: AccessRule[] = [
      {
        namespaces: ns,
        apiGroups: ['batch'],
        resources: ['cronjobs'],
        verbs: ['get', 'list'],
      },
      {
        namespaces: ns,
        apiGroups: ['batch'],
        resources: ['jobs'],
        verbs: ['get', 'list', 'create', 'patch'],
      },
      {
        namespaces: ns,
        apiGroups: [''],
        resources: ['pods'],
        verbs: ['list'],
      },
      {
        namespaces: ns,
        apiGroups: [''],
        resources: ['pods/log'],
        verbs: ['get'],
      },
      {
        namespaces: ns,
        apiGroups: [''],
        resources: ['secrets'],
        resourceNames: ['backup-s3-credentials'],
        verbs: ['get'],
      },
    ];
    if (deployments.length > 0) {
      rules.push({
        namespaces: ns,
        apiGroups: ['apps'],
        resources: ['deployments/scale'],
        resourceNames: deployments,
        verbs: ['get', 'update'],
      });
    }
    return rules;
  });
}

/** A fresh token for the portal's service account with the rbac.yaml rules. */
export function portalGrant(namespaces: PortalNamespace[]): TokenGrant {
  return {
    token: `pg-backup-portal-${crypto.randomBytes(24).toString('hex')}`,
    user: 'system:serviceaccount:pg-backup:pg-backup-portal',
    rules: portalRules(namespaces),
  };
}

/** Endpoints and credentials the portal needs to reach the sandbox. */
export interface PortalEndpoints {
  kubernetesUrl: string;
  caCertificate: string;
  token: string;
  s3Endpoint: string;
  s3Region: string;
  s3AccessKeyId: string;
  s3SecretAccessKey: string;
}

/**
 * Backstage configuration pointing the portal at the sandbox through the ecosystem's own
 * sections: `kubernetes.clusterLocatorMethods` and `integrations.awsS3`.
 */
export function portalAppConfig(
  endpoints: PortalEndpoints,
): Record<string, unknown> {
  return {
    kubernetes: {
      serviceLocatorMethod: { type: 'multiTenant' },
      clusterLocatorMethods: [
        {
          type: 'config',
          clusters: [
            {
              name: 'sandbox',
              url: endpoints.kubernetesUrl,
              authProvider: 'serviceAccount',
              serviceAccountToken: endpoints.token,
              caData: Buffer.from(endpoints.caCertificate).toString('base64'),
              skipTLSVerify: false,
            },
          ],
        },
      ],
    },
    integrations: {
      awsS3: [
        {
          host: new URL(endpoints.s3Endpoint).host,
          endpoint: endpoints.s3Endpoint,
          s3ForcePathStyle: true,
          accessKeyId: endpoints.s3AccessKeyId,
          secretAccessKey: endpoints.s3SecretAccessKey,
        },
      ],
    },
    pgBackup: { storage: { region: endpoints.s3Region } },
  };
}

/** The same as YAML, with a header saying where it comes from. */
export function portalAppConfigYaml(endpoints: PortalEndpoints): string {
  return `# Written by the sandbox at start: how the portal reaches the sandbox cluster and S3.\n${stringify(
    portalAppConfig(endpoints),
  )}`;
}
