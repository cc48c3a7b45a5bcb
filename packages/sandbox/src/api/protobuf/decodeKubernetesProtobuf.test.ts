import { execFile } from 'child_process';
import fs from 'fs';
import http from 'http';
import os from 'os';
import path from 'path';
import * as protobuf from 'protobufjs';
import {
  decodeKubernetesProtobuf,
  isKubernetesProtobuf,
  ProtobufDecodeError,
} from './decodeKubernetesProtobuf';

const FIXTURE = path.join(__dirname, '__fixtures__', 'kubectl-create-job.bin');
const CRONJOB_UID = '6c1f3c52-8a0e-4a57-9d0b-6f1e2f0c9a11';

/** The CronJob the fake API server serves; `kubectl create job --from` copies its jobTemplate. */
const POSTGRESQL_BACKUP = {
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: {
    name: 'postgresql-backup',
    namespace: 'qawave',
    uid: CRONJOB_UID,
    resourceVersion: '48213',
    generation: 3,
    creationTimestamp: '2026-01-29T10:15:00Z',
    labels: { app: 'postgresql', 'app.kubernetes.io/component': 'backup' },
  },
  spec: {
    schedule: '0 2 * * *',
    concurrencyPolicy: 'Forbid',
    successfulJobsHistoryLimit: 3,
    failedJobsHistoryLimit: 1,
    jobTemplate: {
      metadata: {
        labels: {
          app: 'postgresql-backup',
          'app.kubernetes.io/part-of': 'qawave',
        },
        annotations: {
          'backup.qawave.io/target': 's3://qawave-backups/postgresql',
        },
      },
      spec: {
        backoffLimit: 0,
        activeDeadlineSeconds: 3600,
        ttlSecondsAfterFinished: 86400,
        template: {
          metadata: {
            labels: { app: 'postgresql-backup' },
            annotations: { 'sidecar.istio.io/inject': 'false' },
          },
          spec: {
            restartPolicy: 'OnFailure',
            serviceAccountName: 'postgresql-backup',
            automountServiceAccountToken: false,
            terminationGracePeriodSeconds: 30,
            dnsPolicy: 'ClusterFirst',
            schedulerName: 'default-scheduler',
            enableServiceLinks: false,
            nodeSelector: { 'kubernetes.io/os': 'linux' },
            securityContext: {
              runAsUser: 999,
              runAsGroup: 999,
              runAsNonRoot: true,
              fsGroup: 999,
            },
            imagePullSecrets: [{ name: 'registry-credentials' }],
            containers: [
              {
                name: 'backup',
                image: 'postgres:15',
                imagePullPolicy: 'IfNotPresent',
                command: ['/bin/bash', '-c'],
                args: [
                  'pg_dump --format=custom "$PGDATABASE" > /backups/dump.pgc && /scripts/upload.sh /backups/dump.pgc',
                ],
                workingDir: '/backups',
                env: [
                  {
                    name: 'PGHOST',
                    value: 'postgresql.qawave.svc.cluster.local',
                  },
                  {
                    name: 'PGPASSWORD',
                    valueFrom: {
                      secretKeyRef: {
                        name: 'postgresql-credentials',
                        key: 'password',
                      },
                    },
                  },
                  {
                    name: 'PGDATABASE',
                    valueFrom: {
                      configMapKeyRef: {
                        name: 'postgresql-backup-config',
                        key: 'database',
                        optional: true,
                      },
                    },
                  },
                  {
                    name: 'POD_NAME',
                    valueFrom: {
                      fieldRef: {
                        apiVersion: 'v1',
                        fieldPath: 'metadata.name',
                      },
                    },
                  },
                ],
                envFrom: [
                  { configMapRef: { name: 'postgresql-backup-config' } },
                  {
                    prefix: 'S3_',
                    secretRef: { name: 's3-credentials', optional: false },
                  },
                ],
                ports: [{ name: 'metrics', containerPort: 9187 }],
                resources: {
                  limits: { cpu: '1', memory: '1Gi' },
                  requests: { cpu: '250m', memory: '256Mi' },
                },
                volumeMounts: [
                  {
                    name: 'backup-scripts',
                    mountPath: '/scripts',
                    readOnly: true,
                  },
                  {
                    name: 'pg-credentials',
                    mountPath: '/etc/pg/password',
                    subPath: 'password',
                    readOnly: true,
                  },
                  { name: 'scratch', mountPath: '/backups' },
                ],
                terminationMessagePath: '/dev/termination-log',
                terminationMessagePolicy: 'File',
                securityContext: {
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ['ALL'] },
                },
              },
            ],
            volumes: [
              {
                name: 'backup-scripts',
                configMap: {
                  name: 'postgresql-backup-scripts',
                  defaultMode: 0o755,
                  items: [{ key: 'upload.sh', path: 'upload.sh' }],
                },
              },
              {
                name: 'pg-credentials',
                secret: {
                  secretName: 'postgresql-credentials',
                  defaultMode: 0o400,
                },
              },
              { name: 'scratch', emptyDir: {} },
              {
                name: 'archive',
                persistentVolumeClaim: { claimName: 'backup-archive' },
              },
            ],
          },
        },
      },
    },
  },
  status: { lastScheduleTime: '2026-01-30T02:00:00Z' },
};

/** What kubectl sends (as JSON) for `create job --from=cronjob/postgresql-backup manual-backup`. */
const EXPECTED_MANUAL_BACKUP = {
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: {
    name: 'manual-backup',
    namespace: 'qawave',
    labels: {
      app: 'postgresql-backup',
      'app.kubernetes.io/part-of': 'qawave',
    },
    annotations: {
      'backup.qawave.io/target': 's3://qawave-backups/postgresql',
      'cronjob.kubernetes.io/instantiate': 'manual',
    },
    ownerReferences: [
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        name: 'postgresql-backup',
        uid: CRONJOB_UID,
        controller: true,
      },
    ],
  },
  spec: POSTGRESQL_BACKUP.spec.jobTemplate.spec,
};

/**
 * A CronJob whose jobTemplate sets nearly every field the decoder supports,
 * with zero values, empty strings of Go pointer fields and empty pointer
 * structs, so that the protobuf kubectl sends can be checked against the JSON
 * kubectl prints for the same object.
 */
const KITCHEN_SINK = {
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: {
    name: 'kitchen-sink',
    namespace: 'qawave',
    uid: '0d3c8f5e-2b7a-4f7e-8d55-3f4c1a9b2e10',
  },
  spec: {
    schedule: '*/5 * * * *',
    jobTemplate: {
      metadata: { labels: { app: 'kitchen-sink' } },
      spec: {
        parallelism: 2,
        completions: 4,
        completionMode: 'Indexed',
        suspend: true,
        manualSelector: true,
        selector: {
          matchLabels: { app: 'kitchen-sink' },
          matchExpressions: [
            { key: 'tier', operator: 'In', values: ['batch', 'etl'] },
            { key: 'canary', operator: 'DoesNotExist' },
          ],
        },
        backoffLimitPerIndex: 1,
        maxFailedIndexes: 2,
        podReplacementPolicy: 'Failed',
        managedBy: 'kueue.x-k8s.io/multikueue',
        podFailurePolicy: {
          rules: [
            {
              action: 'FailJob',
              onExitCodes: {
                containerName: 'main',
                operator: 'In',
                values: [42, 43],
              },
            },
            {
              action: 'Ignore',
              onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }],
            },
          ],
        },
        successPolicy: {
          rules: [{ succeededIndexes: '0-1', succeededCount: 1 }],
        },
        template: {
          metadata: {
            name: 'ks-template',
            generateName: 'ks-',
            namespace: 'qawave',
            uid: 'b5f0e3a2-0000-4000-8000-000000000001',
            resourceVersion: '7',
            generation: 2,
            creationTimestamp: '2026-01-29T10:15:00Z',
            deletionTimestamp: '2026-01-31T00:00:00Z',
            deletionGracePeriodSeconds: 0,
            labels: { app: 'kitchen-sink', tier: 'batch' },
            annotations: { 'example.com/empty': '' },
            ownerReferences: [
              {
                apiVersion: 'v1',
                kind: 'ConfigMap',
                name: 'owner',
                uid: 'b5f0e3a2-0000-4000-8000-000000000002',
                controller: false,
                blockOwnerDeletion: true,
              },
            ],
            finalizers: ['example.com/keep'],
            managedFields: [
              {
                manager: 'kubectl',
                operation: 'Update',
                apiVersion: 'v1',
                time: '2026-01-29T10:15:00Z',
                fieldsType: 'FieldsV1',
                fieldsV1: {
                  'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
                },
              },
            ],
          },
          spec: {
            volumes: [
              { name: 'host', hostPath: { path: '/var/log', type: '' } },
              {
                name: 'mem',
                emptyDir: { medium: 'Memory', sizeLimit: '64Mi' },
              },
              {
                name: 'nfs',
                nfs: {
                  server: 'nfs.example.com',
                  path: '/exports',
                  readOnly: true,
                },
              },
              {
                name: 'claim',
                persistentVolumeClaim: { claimName: 'data', readOnly: false },
              },
              {
                name: 'podinfo',
                downwardAPI: {
                  defaultMode: 420,
                  items: [
                    {
                      path: 'labels',
                      fieldRef: {
                        apiVersion: 'v1',
                        fieldPath: 'metadata.labels',
                      },
                    },
                    {
                      path: 'cpu',
                      resourceFieldRef: {
                        containerName: 'main',
                        resource: 'limits.cpu',
                        divisor: '1m',
                      },
                      mode: 292,
                    },
                  ],
                },
              },
              {
                name: 'projected',
                projected: {
                  defaultMode: 288,
                  sources: [
                    {
                      secret: {
                        name: 'tls',
                        items: [{ key: 'tls.key', path: 'key.pem', mode: 256 }],
                        optional: true,
                      },
                    },
                    { configMap: { name: 'ca' } },
                    {
                      downwardAPI: {
                        items: [
                          {
                            path: 'ns',
                            fieldRef: { fieldPath: 'metadata.namespace' },
                          },
                        ],
                      },
                    },
                    {
                      serviceAccountToken: {
                        audience: 'vault',
                        expirationSeconds: 3600,
                        path: 'token',
                      },
                    },
                    {
                      clusterTrustBundle: {
                        signerName: 'example.com/signer',
                        labelSelector: { matchLabels: { bundle: 'yes' } },
                        optional: true,
                        path: 'bundle.pem',
                      },
                    },
                  ],
                },
              },
              {
                name: 'csi',
                csi: {
                  driver: 'secrets-store.csi.k8s.io',
                  readOnly: true,
                  fsType: '',
                  volumeAttributes: { secretProviderClass: 'vault' },
                  nodePublishSecretRef: { name: 'csi-creds' },
                },
              },
              {
                name: 'image',
                image: {
                  reference: 'quay.io/example/data:1',
                  pullPolicy: 'IfNotPresent',
                },
              },
              { name: 'cm-all', configMap: { name: 'all', optional: false } },
            ],
            initContainers: [
              {
                name: 'proxy',
                image: 'envoyproxy/envoy:v1.31',
                restartPolicy: 'Always',
                ports: [
                  { name: 'admin', containerPort: 9901, protocol: 'TCP' },
                ],
                startupProbe: {
                  tcpSocket: { port: 'admin', host: 'localhost' },
                  failureThreshold: 30,
                  periodSeconds: 1,
                },
              },
            ],
            containers: [
              {
                name: 'main',
                image: 'busybox:1.36',
                stdin: true,
                stdinOnce: true,
                tty: true,
                ports: [
                  {
                    name: 'http',
                    containerPort: 8080,
                    hostPort: 18080,
                    hostIP: '127.0.0.1',
                    protocol: 'TCP',
                  },
                  { containerPort: 9090 },
                ],
                env: [
                  {
                    name: 'CPU_REQUEST',
                    valueFrom: {
                      resourceFieldRef: { resource: 'requests.cpu' },
                    },
                  },
                  { name: 'EMPTY', value: '' },
                ],
                resources: {
                  limits: { cpu: '2', 'nvidia.com/gpu': '1' },
                  requests: {
                    cpu: '500m',
                    memory: '128Mi',
                    'ephemeral-storage': '1Gi',
                  },
                  claims: [{ name: 'gpu', request: 'big' }],
                },
                resizePolicy: [
                  { resourceName: 'cpu', restartPolicy: 'NotRequired' },
                ],
                volumeMounts: [
                  {
                    name: 'host',
                    mountPath: '/host',
                    readOnly: true,
                    recursiveReadOnly: 'IfPossible',
                    mountPropagation: 'HostToContainer',
                  },
                  {
                    name: 'mem',
                    mountPath: '/mem',
                    subPathExpr: '$(POD_NAME)',
                  },
                ],
                volumeDevices: [{ name: 'raw', devicePath: '/dev/xvda' }],
                livenessProbe: {
                  httpGet: {
                    path: '/healthz',
                    port: 8080,
                    host: 'localhost',
                    scheme: 'HTTP',
                    httpHeaders: [{ name: 'X-Probe', value: '1' }],
                  },
                  initialDelaySeconds: 5,
                  timeoutSeconds: 2,
                  periodSeconds: 10,
                  successThreshold: 1,
                  failureThreshold: 3,
                  terminationGracePeriodSeconds: 15,
                },
                readinessProbe: { grpc: { port: 9090, service: '' } },
                startupProbe: {
                  exec: { command: ['cat', '/tmp/ready'] },
                  initialDelaySeconds: 0,
                },
                lifecycle: {
                  postStart: {
                    exec: { command: ['sh', '-c', 'echo started'] },
                  },
                  preStop: { sleep: { seconds: 5 } },
                },
                terminationMessagePath: '/dev/termination-log',
                terminationMessagePolicy: 'FallbackToLogsOnError',
                imagePullPolicy: 'Always',
                securityContext: {
                  capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] },
                  privileged: false,
                  seLinuxOptions: {
                    user: 'u',
                    role: 'r',
                    type: 't',
                    level: 's0',
                  },
                  windowsOptions: {
                    gmsaCredentialSpecName: 'gmsa',
                    runAsUserName: 'ContainerUser',
                    hostProcess: false,
                  },
                  runAsUser: 0,
                  runAsGroup: 0,
                  runAsNonRoot: false,
                  readOnlyRootFilesystem: true,
                  allowPrivilegeEscalation: false,
                  procMount: 'Default',
                  seccompProfile: {
                    type: 'Localhost',
                    localhostProfile: 'profiles/audit.json',
                  },
                  appArmorProfile: { type: 'RuntimeDefault' },
                },
              },
            ],
            restartPolicy: 'Never',
            terminationGracePeriodSeconds: 0,
            activeDeadlineSeconds: 600,
            dnsPolicy: 'None',
            nodeSelector: { 'kubernetes.io/arch': 'amd64' },
            serviceAccountName: 'runner',
            serviceAccount: 'runner',
            automountServiceAccountToken: true,
            nodeName: 'node-1',
            hostNetwork: true,
            hostPID: false,
            hostIPC: true,
            shareProcessNamespace: true,
            securityContext: {
              seLinuxOptions: { level: 's0:c1' },
              windowsOptions: { runAsUserName: '' },
              runAsUser: 1000,
              runAsGroup: 3000,
              runAsNonRoot: true,
              supplementalGroups: [4000, 5000],
              supplementalGroupsPolicy: 'Strict',
              fsGroup: 2000,
              sysctls: [{ name: 'net.core.somaxconn', value: '1024' }],
              fsGroupChangePolicy: 'OnRootMismatch',
              seccompProfile: { type: 'RuntimeDefault' },
              appArmorProfile: {
                type: 'Localhost',
                localhostProfile: 'k8s-apparmor',
              },
              seLinuxChangePolicy: 'MountOption',
            },
            imagePullSecrets: [{ name: 'regcred' }, {}],
            hostname: 'ks',
            subdomain: 'workers',
            schedulerName: 'custom-scheduler',
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [
                    {
                      matchExpressions: [
                        { key: 'zone', operator: 'In', values: ['a'] },
                      ],
                      matchFields: [
                        {
                          key: 'metadata.name',
                          operator: 'NotIn',
                          values: ['bad'],
                        },
                      ],
                    },
                  ],
                },
                preferredDuringSchedulingIgnoredDuringExecution: [
                  {
                    weight: 10,
                    preference: {
                      matchExpressions: [{ key: 'ssd', operator: 'Exists' }],
                    },
                  },
                ],
              },
              podAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [
                  {
                    labelSelector: { matchLabels: { app: 'db' } },
                    namespaces: ['qawave'],
                    topologyKey: 'kubernetes.io/hostname',
                    namespaceSelector: {},
                    matchLabelKeys: ['pod-template-hash'],
                    mismatchLabelKeys: ['tenant'],
                  },
                ],
              },
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  { weight: 100, podAffinityTerm: { topologyKey: 'zone' } },
                ],
              },
            },
            tolerations: [
              {
                key: 'dedicated',
                operator: 'Equal',
                value: 'batch',
                effect: 'NoSchedule',
              },
              { operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 0 },
            ],
            hostAliases: [
              { ip: '10.0.0.1', hostnames: ['a.local', 'b.local'] },
            ],
            priorityClassName: 'high',
            priority: 0,
            dnsConfig: {
              nameservers: ['1.1.1.1'],
              searches: ['svc.cluster.local'],
              options: [
                { name: 'ndots', value: '2' },
                { name: 'edns0' },
                { name: 'trust-ad', value: '' },
              ],
            },
            readinessGates: [{ conditionType: 'example.com/ready' }],
            runtimeClassName: 'gvisor',
            enableServiceLinks: false,
            preemptionPolicy: 'Never',
            overhead: { cpu: '250m' },
            topologySpreadConstraints: [
              {
                maxSkew: 1,
                topologyKey: 'zone',
                whenUnsatisfiable: 'DoNotSchedule',
                labelSelector: { matchLabels: { app: 'kitchen-sink' } },
                minDomains: 2,
                nodeAffinityPolicy: 'Honor',
                nodeTaintsPolicy: 'Ignore',
                matchLabelKeys: ['pod-template-hash'],
              },
            ],
            setHostnameAsFQDN: false,
            os: { name: 'linux' },
            hostUsers: false,
            schedulingGates: [{ name: 'example.com/gate' }],
            resourceClaims: [
              { name: 'gpu', resourceClaimTemplateName: 'gpu-template' },
            ],
            resources: { limits: { cpu: '4' } },
          },
        },
      },
    },
  },
};

const CRONJOBS: Record<string, object> = {
  'postgresql-backup': POSTGRESQL_BACKUP,
  'kitchen-sink': KITCHEN_SINK,
};

// ---------------------------------------------------------------------------
// A fake API server that answers just enough for kubectl.

interface RecordedRequest {
  method: string;
  url: string;
  contentType?: string;
  accept?: string;
  body: Buffer;
}

const RESOURCE_VERBS = [
  'create',
  'delete',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];

function route(request: RecordedRequest): { status: number; body: object } {
  const urlPath = request.url.split('?')[0];
  const notFound = {
    status: 404,
    body: {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `the server could not find the requested resource (${urlPath})`,
      reason: 'NotFound',
      code: 404,
    },
  };
  if (request.method === 'GET') {
    switch (urlPath) {
      case '/version':
        return {
          status: 200,
          body: {
            major: '1',
            minor: '32',
            gitVersion: 'v1.32.0',
            platform: 'linux/amd64',
          },
        };
      case '/api':
        return {
          status: 200,
          body: {
            kind: 'APIVersions',
            versions: ['v1'],
            serverAddressByClientCIDRs: [
              { clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' },
            ],
          },
        };
      case '/apis':
        return {
          status: 200,
          body: {
            kind: 'APIGroupList',
            apiVersion: 'v1',
            groups: ['batch', 'apps'].map(name => ({
              name,
              versions: [{ groupVersion: `${name}/v1`, version: 'v1' }],
              preferredVersion: { groupVersion: `${name}/v1`, version: 'v1' },
            })),
          },
        };
      case '/api/v1':
        return {
          status: 200,
          body: {
            kind: 'APIResourceList',
            groupVersion: 'v1',
            resources: [
              {
                name: 'pods',
                singularName: 'pod',
                namespaced: true,
                kind: 'Pod',
                verbs: RESOURCE_VERBS,
                shortNames: ['po'],
              },
              {
                name: 'namespaces',
                singularName: 'namespace',
                namespaced: false,
                kind: 'Namespace',
                verbs: RESOURCE_VERBS,
                shortNames: ['ns'],
              },
            ],
          },
        };
      case '/apis/batch/v1':
        return {
          status: 200,
          body: {
            kind: 'APIResourceList',
            apiVersion: 'v1',
            groupVersion: 'batch/v1',
            resources: [
              {
                name: 'jobs',
                singularName: 'job',
                namespaced: true,
                kind: 'Job',
                verbs: RESOURCE_VERBS,
              },
              {
                name: 'cronjobs',
                singularName: 'cronjob',
                namespaced: true,
                kind: 'CronJob',
                verbs: RESOURCE_VERBS,
                shortNames: ['cj'],
              },
            ],
          },
        };
      case '/apis/apps/v1':
        return {
          status: 200,
          body: {
            kind: 'APIResourceList',
            apiVersion: 'v1',
            groupVersion: 'apps/v1',
            resources: [
              {
                name: 'deployments',
                singularName: 'deployment',
                namespaced: true,
                kind: 'Deployment',
                verbs: RESOURCE_VERBS,
                shortNames: ['deploy'],
              },
            ],
          },
        };
      default: {
        const match =
          /^\/apis\/batch\/v1\/namespaces\/qawave\/cronjobs\/([^/]+)$/.exec(
            urlPath,
          );
        if (match && CRONJOBS[match[1]]) {
          return { status: 200, body: CRONJOBS[match[1]] };
        }
        return notFound;
      }
    }
  }
  const create =
    /^\/apis\/batch\/v1\/namespaces\/qawave\/(jobs|cronjobs)$/.exec(urlPath);
  if (request.method === 'POST' && create) {
    const created = isKubernetesProtobuf(request.contentType)
      ? decodeKubernetesProtobuf(request.body)
      : JSON.parse(request.body.toString('utf8'));
    const metadata = (created.metadata ?? {}) as Record<string, unknown>;
    return {
      status: 201,
      body: {
        ...created,
        metadata: {
          ...metadata,
          uid: 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6',
          resourceVersion: '1',
          creationTimestamp: '2026-01-30T09:00:00Z',
        },
      },
    };
  }
  return notFound;
}

interface FakeApiServer {
  port: number;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

async function startFakeApiServer(): Promise<FakeApiServer> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', chunk => chunks.push(chunk));
    req.on('end', () => {
      const request: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        contentType: req.headers['content-type'],
        accept: req.headers.accept,
        body: Buffer.concat(chunks),
      };
      requests.push(request);
      let reply: { status: number; body: object };
      try {
        reply = route(request);
      } catch (error) {
        reply = {
          status: error instanceof ProtobufDecodeError ? 415 : 500,
          body: {
            kind: 'Status',
            apiVersion: 'v1',
            status: 'Failure',
            message: String(error),
            code: 415,
          },
        };
      }
      res.writeHead(reply.status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') {
    throw new Error('fake API server has no port');
  }
  return {
    port: address.port,
    requests,
    close: () => new Promise<void>(resolve => server.close(() => resolve())),
  };
}

function findKubectl(): string | undefined {
  const candidates = [
    process.env.KUBECTL,
    '/usr/bin/kubectl',
    ...(process.env.PATH ?? '')
      .split(path.delimiter)
      .map(dir => path.join(dir, 'kubectl')),
  ];
  return candidates.find(candidate => candidate && fs.existsSync(candidate));
}

interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

function runKubectl(
  kubectl: string,
  home: string,
  args: string[],
): Promise<KubectlResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
  delete env.KUBECONFIG;
  return new Promise(resolve => {
    execFile(
      kubectl,
      [
        '--kubeconfig',
        path.join(home, 'kubeconfig'),
        '--cache-dir',
        path.join(home, `cache-${Math.random().toString(36).slice(2)}`),
        ...args,
      ],
      { env, timeout: 60_000 },
      (error, stdout, stderr) => {
        let code = 0;
        if (error) {
          code = typeof error.code === 'number' ? error.code : 1;
        }
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * Normalizes the JSON kubectl prints to what the decoder returns: nulls (the
 * zero metav1.Time) and the empty non-pointer structs `status: {}`,
 * `resources: {}` and `metadata: {}` are left out.
 */
function withoutZeroStructs(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(withoutZeroStructs);
  }
  if (value && typeof value === 'object') {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (item === null) {
        continue;
      }
      const normalized = withoutZeroStructs(item);
      const emptyStruct =
        ['status', 'resources', 'metadata'].includes(key) &&
        typeof normalized === 'object' &&
        normalized !== null &&
        Object.keys(normalized).length === 0;
      if (!emptyStruct) {
        result[key] = normalized;
      }
    }
    return result;
  }
  return value;
}

const KUBECTL = findKubectl();

describe('decodeKubernetesProtobuf on bodies sent by the real kubectl', () => {
  // kubectl is part of the toolchain (scripts/bootstrap.sh checks it): a missing one fails here.
  const kubectl = KUBECTL ?? 'kubectl';
  let server: FakeApiServer;
  let home: string;

  const kubectlJson = async (args: string[]) => {
    const dashes = args.includes('--') ? args.indexOf('--') : args.length;
    const result = await runKubectl(kubectl, home, [
      ...args.slice(0, dashes),
      '--dry-run=client',
      '-o',
      'json',
      ...args.slice(dashes),
    ]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    return JSON.parse(result.stdout) as Record<string, unknown>;
  };

  /** Runs kubectl for real and returns the protobuf body it POSTed. */
  const kubectlPost = async (args: string[], resource: string) => {
    const before = server.requests.length;
    const result = await runKubectl(kubectl, home, args);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const posts = server.requests
      .slice(before)
      .filter(
        r =>
          r.method === 'POST' &&
          r.url.startsWith(`/apis/batch/v1/namespaces/qawave/${resource}?`),
      );
    expect(posts).toHaveLength(1);
    return {
      post: posts[0],
      requests: server.requests.slice(before),
      stdout: result.stdout,
    };
  };

  beforeAll(async () => {
    server = await startFakeApiServer();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'kubectl-protobuf-'));
    fs.writeFileSync(
      path.join(home, 'kubeconfig'),
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: sandbox',
        '  cluster:',
        `    server: http://127.0.0.1:${server.port}`,
        'users:',
        '- name: tester',
        '  user:',
        '    token: sandbox-token',
        'contexts:',
        '- name: sandbox',
        '  context:',
        '    cluster: sandbox',
        '    user: tester',
        '    namespace: default',
        'current-context: sandbox',
        '',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    await server?.close();
    if (home) {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  it('decodes `kubectl create job --from=cronjob/postgresql-backup manual-backup`', async () => {
    const args = [
      'create',
      'job',
      '--from=cronjob/postgresql-backup',
      'manual-backup',
      '-n',
      'qawave',
    ];
    const { post, requests, stdout } = await kubectlPost(args, 'jobs');

    expect(stdout.trim()).toBe('job.batch/manual-backup created');
    expect(post.url).toBe(
      '/apis/batch/v1/namespaces/qawave/jobs?fieldManager=kubectl-create&fieldValidation=Strict',
    );
    expect(post.contentType).toBe('application/vnd.kubernetes.protobuf');
    expect(isKubernetesProtobuf(post.contentType)).toBe(true);
    expect(post.accept).toBe(
      'application/vnd.kubernetes.protobuf,application/json',
    );
    expect(Array.from(post.body.subarray(0, 4))).toEqual([
      0x6b, 0x38, 0x73, 0x00,
    ]);
    // kubectl read the CronJob (as JSON) before it POSTed the Job
    expect(requests.map(r => `${r.method} ${r.url.split('?')[0]}`)).toContain(
      'GET /apis/batch/v1/namespaces/qawave/cronjobs/postgresql-backup',
    );

    const job = decodeKubernetesProtobuf(post.body);
    expect(job).toStrictEqual(EXPECTED_MANUAL_BACKUP);
    expect(job).toStrictEqual(withoutZeroStructs(await kubectlJson(args)));

    // the details the API server relies on, spelled out
    expect(job).toMatchObject({
      metadata: {
        name: 'manual-backup',
        namespace: 'qawave',
        annotations: { 'cronjob.kubernetes.io/instantiate': 'manual' },
        ownerReferences: [
          {
            apiVersion: 'batch/v1',
            kind: 'CronJob',
            name: 'postgresql-backup',
            uid: CRONJOB_UID,
            controller: true,
          },
        ],
      },
      spec: {
        backoffLimit: 0,
        activeDeadlineSeconds: 3600,
        ttlSecondsAfterFinished: 86400,
        template: {
          spec: {
            restartPolicy: 'OnFailure',
            automountServiceAccountToken: false,
            containers: [
              {
                name: 'backup',
                image: 'postgres:15',
                resources: {
                  limits: { cpu: '1', memory: '1Gi' },
                  requests: { cpu: '250m', memory: '256Mi' },
                },
                envFrom: [
                  { configMapRef: { name: 'postgresql-backup-config' } },
                  {
                    prefix: 'S3_',
                    secretRef: { name: 's3-credentials', optional: false },
                  },
                ],
              },
            ],
            volumes: [
              {
                name: 'backup-scripts',
                configMap: {
                  name: 'postgresql-backup-scripts',
                  defaultMode: 493,
                },
              },
              {
                name: 'pg-credentials',
                secret: {
                  secretName: 'postgresql-credentials',
                  defaultMode: 256,
                },
              },
              { name: 'scratch', emptyDir: {} },
              {
                name: 'archive',
                persistentVolumeClaim: { claimName: 'backup-archive' },
              },
            ],
          },
        },
      },
    });
    expect(job).not.toHaveProperty('status');

    if (process.env.UPDATE_KUBECTL_FIXTURES === '1') {
      fs.mkdirSync(path.dirname(FIXTURE), { recursive: true });
      fs.writeFileSync(FIXTURE, post.body);
    }
  }, 60_000);

  it('decodes a Job copied from a CronJob using nearly every supported field exactly as kubectl prints it as JSON', async () => {
    const args = [
      'create',
      'job',
      '--from=cronjob/kitchen-sink',
      'kitchen-sink-manual',
      '-n',
      'qawave',
    ];
    const { post } = await kubectlPost(args, 'jobs');
    const job = decodeKubernetesProtobuf(post.body);
    const asJson = withoutZeroStructs(await kubectlJson(args));
    expect(job).toStrictEqual(asJson);
    // the fixture really exercises the zero-value rules
    expect(job).toMatchObject({
      spec: {
        template: {
          metadata: {
            deletionGracePeriodSeconds: 0,
            annotations: { 'example.com/empty': '' },
            creationTimestamp: '2026-01-29T10:15:00Z',
            managedFields: [
              {
                fieldsV1: {
                  'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
                },
              },
            ],
          },
          spec: {
            terminationGracePeriodSeconds: 0,
            priority: 0,
            enableServiceLinks: false,
            hostNetwork: true,
            volumes: expect.arrayContaining([
              { name: 'host', hostPath: { path: '/var/log', type: '' } },
              { name: 'claim', persistentVolumeClaim: { claimName: 'data' } },
            ]),
            containers: [
              {
                env: [
                  {
                    name: 'CPU_REQUEST',
                    valueFrom: {
                      resourceFieldRef: {
                        resource: 'requests.cpu',
                        divisor: '0',
                      },
                    },
                  },
                  { name: 'EMPTY' },
                ],
                livenessProbe: { httpGet: { port: 8080 } },
                readinessProbe: { grpc: { port: 9090, service: '' } },
                securityContext: { runAsUser: 0, privileged: false },
              },
            ],
          },
        },
      },
    });
  }, 60_000);

  it('decodes the CronJob `kubectl create cronjob` sends', async () => {
    const args = [
      'create',
      'cronjob',
      'nightly',
      '--image=postgres:15',
      '--schedule=0 3 * * *',
      '--restart=OnFailure',
      '-n',
      'qawave',
      '--',
      'pg_dumpall',
    ];
    const { post } = await kubectlPost(args, 'cronjobs');
    expect(post.contentType).toBe('application/vnd.kubernetes.protobuf');
    const cronJob = decodeKubernetesProtobuf(post.body);
    expect(cronJob).toStrictEqual(withoutZeroStructs(await kubectlJson(args)));
    expect(cronJob).toMatchObject({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'nightly', namespace: 'qawave' },
      spec: { schedule: '0 3 * * *' },
    });
  }, 60_000);
});

// ---------------------------------------------------------------------------
// Bodies built by hand.

type Build = (writer: protobuf.Writer) => void;

function message(build: Build): Uint8Array {
  const writer = protobuf.Writer.create();
  build(writer);
  return writer.finish();
}

/** Writes a length-delimited field (string, bytes or message). */
function bytesField(
  writer: protobuf.Writer,
  id: number,
  value: Uint8Array | string,
) {
  writer.uint32((id << 3) | 2);
  if (typeof value === 'string') {
    writer.string(value);
  } else {
    writer.bytes(value);
  }
}

function varintField(writer: protobuf.Writer, id: number, value: number) {
  writer.uint32(id << 3).int64(value);
}

function envelope(
  apiVersion: string,
  kind: string,
  raw: Uint8Array,
): Uint8Array {
  const typeMeta = message(w => {
    bytesField(w, 1, apiVersion);
    bytesField(w, 2, kind);
  });
  const unknown = message(w => {
    bytesField(w, 1, typeMeta);
    bytesField(w, 2, raw);
    bytesField(w, 3, '');
    bytesField(w, 4, '');
  });
  return Uint8Array.from([0x6b, 0x38, 0x73, 0x00, ...unknown]);
}

/** A Job whose only container is `container`, and whose JobSpec gets `extraSpec`. */
function jobWithContainer(
  container: Uint8Array,
  extraSpec: Build = () => {},
): Uint8Array {
  const metadata = message(w => {
    bytesField(w, 1, 'crafted');
    bytesField(w, 3, 'qawave');
    varintField(w, 7, 0); // generation, a non-pointer int64: 0 means unset
    bytesField(w, 8, new Uint8Array()); // creationTimestamp: zero time
  });
  const podSpec = message(w => {
    bytesField(w, 2, container);
    bytesField(w, 3, 'Never');
  });
  const template = message(w => bytesField(w, 2, podSpec));
  const spec = message(w => {
    bytesField(w, 6, template);
    extraSpec(w);
  });
  return message(w => {
    bytesField(w, 1, metadata);
    bytesField(w, 2, spec);
  });
}

const CONTAINER = message(w => {
  bytesField(w, 1, 'main');
  bytesField(w, 2, 'busybox:1.36');
  bytesField(
    w,
    9,
    message(m => {
      bytesField(m, 1, 'data');
      varintField(m, 2, 0); // readOnly false: not sent as JSON
      bytesField(m, 3, '/data');
    }),
  );
});

describe('decodeKubernetesProtobuf', () => {
  it('keeps present zero values of pointer fields and drops unset non-pointer ones', () => {
    const body = envelope(
      'batch/v1',
      'Job',
      jobWithContainer(CONTAINER, w => {
        varintField(w, 7, 0); // backoffLimit: 0
        varintField(w, 10, 0); // suspend: false
      }),
    );
    expect(decodeKubernetesProtobuf(body)).toStrictEqual({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'crafted', namespace: 'qawave' },
      spec: {
        backoffLimit: 0,
        suspend: false,
        template: {
          spec: {
            containers: [
              {
                name: 'main',
                image: 'busybox:1.36',
                volumeMounts: [{ name: 'data', mountPath: '/data' }],
              },
            ],
            restartPolicy: 'Never',
          },
        },
      },
    });
  });

  it('decodes the committed capture of `kubectl create job --from=cronjob/postgresql-backup`', () => {
    const body = new Uint8Array(fs.readFileSync(FIXTURE));
    expect(decodeKubernetesProtobuf(body)).toStrictEqual(
      EXPECTED_MANUAL_BACKUP,
    );
  });

  it('rejects a body without the k8s\\0 magic', () => {
    const body = new TextEncoder().encode(
      '{"kind":"Job","apiVersion":"batch/v1"}',
    );
    expect(() => decodeKubernetesProtobuf(body)).toThrow(ProtobufDecodeError);
    expect(() => decodeKubernetesProtobuf(body)).toThrow(/magic/);
    expect(() =>
      decodeKubernetesProtobuf(new Uint8Array([0x6b, 0x38])),
    ).toThrow(ProtobufDecodeError);
  });

  it('names an unsupported kind', () => {
    const secret = message(w =>
      bytesField(
        w,
        1,
        message(m => bytesField(m, 1, 'token')),
      ),
    );
    const body = envelope('v1', 'Secret', secret);
    expect(() => decodeKubernetesProtobuf(body)).toThrow(ProtobufDecodeError);
    expect(() => decodeKubernetesProtobuf(body)).toThrow(
      /unsupported kind Secret \(apiVersion v1\)/,
    );
    expect(() =>
      decodeKubernetesProtobuf(envelope('batch/v2', 'Job', secret)),
    ).toThrow(/unsupported kind Job \(apiVersion batch\/v2\)/);
  });

  it('names the message and field number it cannot decode instead of dropping the field', () => {
    const container = Uint8Array.from([
      ...CONTAINER,
      ...message(w => bytesField(w, 99, 'surprise')),
    ]);
    const body = envelope('batch/v1', 'Job', jobWithContainer(container));
    expect(() => decodeKubernetesProtobuf(body)).toThrow(ProtobufDecodeError);
    expect(() => decodeKubernetesProtobuf(body)).toThrow(
      'unsupported field 99 (wire type 2) of k8s.io.api.core.v1.Container at spec.template.spec.containers[0]',
    );

    const varint = envelope(
      'batch/v1',
      'Job',
      jobWithContainer(CONTAINER, w => varintField(w, 42, 1)),
    );
    expect(() => decodeKubernetesProtobuf(varint)).toThrow(
      'unsupported field 42 (wire type 0) of k8s.io.api.batch.v1.JobSpec at spec',
    );

    // a volume source the subset leaves out (gcePersistentDisk = 3)
    const volume = message(w => {
      bytesField(w, 1, 'disk');
      bytesField(
        w,
        2,
        message(m =>
          bytesField(
            m,
            3,
            message(d => bytesField(d, 1, 'pd')),
          ),
        ),
      );
    });
    const pod = message(w =>
      bytesField(
        w,
        2,
        message(s => bytesField(s, 1, volume)),
      ),
    );
    expect(() => decodeKubernetesProtobuf(envelope('v1', 'Pod', pod))).toThrow(
      /unsupported field 3 \(wire type 2\) of k8s\.io\.api\.core\.v1\.VolumeSource at spec\.volumes\[0\]/,
    );
  });

  it('rejects a field sent with the wrong wire type', () => {
    const body = envelope(
      'batch/v1',
      'Job',
      jobWithContainer(CONTAINER, w => bytesField(w, 7, 'zero')),
    );
    expect(() => decodeKubernetesProtobuf(body)).toThrow(
      /field 7 \(backoffLimit\) of k8s\.io\.api\.batch\.v1\.JobSpec at spec\.backoffLimit has wire type 2, expected 0/,
    );
  });

  it('rejects truncated bodies', () => {
    const body = envelope('batch/v1', 'Job', jobWithContainer(CONTAINER));
    expect(decodeKubernetesProtobuf(body)).toMatchObject({ kind: 'Job' });
    for (const length of [5, 12, 30, body.length - 10, body.length - 1]) {
      expect(() => decodeKubernetesProtobuf(body.subarray(0, length))).toThrow(
        ProtobufDecodeError,
      );
    }
    // a length prefix that points past the end of its enclosing message
    const inner = message(w => bytesField(w, 1, 'name'));
    const lying = Uint8Array.from([0x0a, inner.length + 5, ...inner]);
    expect(() =>
      decodeKubernetesProtobuf(envelope('v1', 'Pod', lying)),
    ).toThrow(/truncated/);
  });

  it('decodes the special JSON forms: Time, Quantity, IntOrString, FieldsV1', () => {
    const time = message(w => varintField(w, 1, 1769738400)); // 2026-01-30T02:00:00Z
    const fieldsV1 = message(w => bytesField(w, 1, '{"f:spec":{}}'));
    const metadata = message(w => {
      bytesField(w, 1, 'p');
      bytesField(w, 8, time);
      bytesField(
        w,
        17,
        message(m => {
          bytesField(m, 1, 'kubectl');
          bytesField(m, 4, time);
          bytesField(m, 7, fieldsV1);
        }),
      );
    });
    const quantity = (value: string) => message(w => bytesField(w, 1, value));
    const entry = (key: string, value: Uint8Array) =>
      message(w => {
        bytesField(w, 1, key);
        bytesField(w, 2, value);
      });
    const intOrString = (type: number, intVal: number, strVal: string) =>
      message(w => {
        varintField(w, 1, type);
        varintField(w, 2, intVal);
        bytesField(w, 3, strVal);
      });
    const container = message(w => {
      bytesField(w, 1, 'c');
      bytesField(
        w,
        8,
        message(r => {
          bytesField(r, 1, entry('memory', quantity('512Mi')));
          bytesField(r, 2, entry('cpu', quantity('100m')));
        }),
      );
      bytesField(w, 10, message(p => bytesField(p, 1, message(h => bytesField(h, 3, message(t => bytesField(t, 1, intOrString(0, 5432, '')))))))); // prettier-ignore
      bytesField(w, 11, message(p => bytesField(p, 1, message(h => bytesField(h, 2, message(g => bytesField(g, 2, intOrString(1, 0, 'http')))))))); // prettier-ignore
    });
    const pod = message(w => {
      bytesField(w, 1, metadata);
      bytesField(
        w,
        2,
        message(s => bytesField(s, 2, container)),
      );
    });
    expect(decodeKubernetesProtobuf(envelope('v1', 'Pod', pod))).toStrictEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'p',
        creationTimestamp: '2026-01-30T02:00:00Z',
        managedFields: [
          {
            manager: 'kubectl',
            time: '2026-01-30T02:00:00Z',
            fieldsV1: { 'f:spec': {} },
          },
        ],
      },
      spec: {
        containers: [
          {
            name: 'c',
            resources: {
              limits: { memory: '512Mi' },
              requests: { cpu: '100m' },
            },
            livenessProbe: { tcpSocket: { port: 5432 } },
            readinessProbe: { httpGet: { port: 'http' } },
          },
        ],
      },
    });
  });
});

describe('isKubernetesProtobuf', () => {
  it('recognizes the Kubernetes protobuf media type', () => {
    expect(isKubernetesProtobuf('application/vnd.kubernetes.protobuf')).toBe(
      true,
    );
    expect(
      isKubernetesProtobuf(
        'Application/Vnd.Kubernetes.Protobuf; charset=binary',
      ),
    ).toBe(true);
    expect(isKubernetesProtobuf('application/json')).toBe(false);
    expect(
      isKubernetesProtobuf('application/vnd.kubernetes.protobuf+json'),
    ).toBe(false);
    expect(isKubernetesProtobuf('')).toBe(false);
    expect(isKubernetesProtobuf(undefined)).toBe(false);
  });
});
