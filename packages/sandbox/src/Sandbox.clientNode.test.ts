import https from 'https';
import {
  ApiException,
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  PatchStrategy,
  Watch,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { Sandbox } from './Sandbox';
import { backupCronJob, kubeConfigFor, waitFor } from './__testUtils__/helpers';

jest.setTimeout(60_000);

const NS = 'qawave';

async function status<T>(
  promise: Promise<T>,
): Promise<{ code: number; body: any }> {
  try {
    await promise;
    return { code: 200, body: undefined };
  } catch (error) {
    if (!(error instanceof ApiException)) throw error;
    return {
      code: error.code,
      body:
        typeof error.body === 'string' ? JSON.parse(error.body) : error.body,
    };
  }
}

describe('sandbox through @kubernetes/client-node', () => {
  let sandbox: Sandbox;
  let core: CoreV1Api;
  let batch: BatchV1Api;
  let apps: AppsV1Api;

  beforeAll(async () => {
    sandbox = await Sandbox.start({
      namespaces: [NS],
      jobBackoffMs: 200,
      bookmarkIntervalMs: 200,
    });
    const kc = kubeConfigFor(sandbox);
    core = kc.makeApiClient(CoreV1Api);
    batch = kc.makeApiClient(BatchV1Api);
    apps = kc.makeApiClient(AppsV1Api);
    await apps.createNamespacedDeployment({
      namespace: NS,
      body: {
        metadata: { name: 'backend', labels: { app: 'backend' } },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: 'backend' } },
          template: {
            metadata: { labels: { app: 'backend', tier: 'web' } },
            spec: {
              containers: [{ name: 'api', image: 'qawave/backend:1.0' }],
            },
          },
        },
      },
    });
  });
  afterAll(() => sandbox.stop());

  it('creates and reads CronJobs, with defaults applied', async () => {
    const created = await batch.createNamespacedCronJob({
      namespace: NS,
      body: backupCronJob('postgresql-backup', 'echo hi'),
    });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    const read = await batch.readNamespacedCronJob({
      name: 'postgresql-backup',
      namespace: NS,
    });
    expect(read.spec).toMatchObject({
      schedule: '0 2 * * *',
      concurrencyPolicy: 'Allow',
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
    });
    const list = await batch.listNamespacedCronJob({ namespace: NS });
    expect(list.items.map(c => c.metadata?.name)).toEqual([
      'postgresql-backup',
    ]);
  });

  it('answers errors as Status objects with the right reason and code', async () => {
    expect(
      await status(batch.readNamespacedJob({ name: 'nope', namespace: NS })),
    ).toMatchObject({
      code: 404,
      body: {
        kind: 'Status',
        reason: 'NotFound',
        message: 'jobs.batch "nope" not found',
      },
    });
    expect(
      await status(
        batch.createNamespacedCronJob({
          namespace: NS,
          body: backupCronJob('postgresql-backup', 'x'),
        }),
      ),
    ).toMatchObject({
      code: 409,
      body: { reason: 'AlreadyExists' },
    });
    const invalid = await status(
      batch.createNamespacedCronJob({
        namespace: NS,
        body: {
          ...backupCronJob('Bad_Name', 'x'),
          spec: { ...backupCronJob('x', 'x').spec, schedule: '61 * * * *' },
        },
      }),
    );
    expect(invalid.code).toBe(422);
    expect(invalid.body.reason).toBe('Invalid');
    expect(
      invalid.body.details.causes.map((c: { field: string }) => c.field),
    ).toEqual(['metadata.name', 'spec.schedule']);
    expect(
      await status(
        batch.createNamespacedJob({
          namespace: 'missing',
          body: {
            metadata: { name: 'j' },
            spec: {
              template: {
                spec: {
                  restartPolicy: 'Never',
                  containers: [{ name: 'c', image: 'busybox' }],
                },
              },
            },
          },
        }),
      ),
    ).toMatchObject({
      code: 404,
      body: { message: 'namespaces "missing" not found' },
    });
  });

  it('refuses a stale resourceVersion with 409 Conflict', async () => {
    const current = await batch.readNamespacedCronJob({
      name: 'postgresql-backup',
      namespace: NS,
    });
    const stale = structuredClone(current);
    await batch.replaceNamespacedCronJob({
      name: 'postgresql-backup',
      namespace: NS,
      body: { ...current, spec: { ...current.spec!, schedule: '0 3 * * *' } },
    });
    const result = await status(
      batch.replaceNamespacedCronJob({
        name: 'postgresql-backup',
        namespace: NS,
        body: { ...stale, spec: { ...stale.spec!, schedule: '0 4 * * *' } },
      }),
    );
    expect(result).toMatchObject({ code: 409, body: { reason: 'Conflict' } });
  });

  it('patches with merge, strategic merge and JSON patch, and rejects a non-array JSON patch', async () => {
    const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    await batch.patchNamespacedCronJob(
      {
        name: 'postgresql-backup',
        namespace: NS,
        body: { spec: { suspend: true } },
      },
      merge,
    );
    const strategic = setHeaderOptions(
      'Content-Type',
      PatchStrategy.StrategicMergePatch,
    );
    const patched = await batch.patchNamespacedCronJob(
      {
        name: 'postgresql-backup',
        namespace: NS,
        body: {
          spec: {
            jobTemplate: {
              spec: {
                template: {
                  spec: {
                    containers: [
                      { name: 'backup', env: [{ name: 'A', value: '1' }] },
                    ],
                  },
                },
              },
            },
          },
        },
      },
      strategic,
    );
    const container =
      patched.spec!.jobTemplate.spec!.template.spec!.containers[0];
    expect(container).toMatchObject({
      name: 'backup',
      image: 'postgres:15',
      env: [{ name: 'A', value: '1' }],
    });
    expect(patched.spec!.suspend).toBe(true);
    const json = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
    const viaJson = await batch.patchNamespacedCronJob(
      {
        name: 'postgresql-backup',
        namespace: NS,
        body: [{ op: 'replace', path: '/spec/suspend', value: false }],
      },
      json,
    );
    expect(viaJson.spec!.suspend).toBe(false);
    const bad = await status(
      batch.patchNamespacedCronJob(
        {
          name: 'postgresql-backup',
          namespace: NS,
          body: { spec: { suspend: true } },
        },
        json,
      ),
    );
    expect(bad).toMatchObject({ code: 400, body: { reason: 'BadRequest' } });
  });

  it('creates a Job (201) whose pod runs and whose log is served with tailLines and timestamps', async () => {
    const job = await batch.createNamespacedJob({
      namespace: NS,
      body: {
        metadata: { name: 'echo', labels: { app: 'echo', tier: 'db' } },
        spec: {
          backoffLimit: 0,
          template: {
            spec: {
              restartPolicy: 'Never',
              containers: [
                {
                  name: 'main',
                  image: 'busybox',
                  command: [
                    'sh',
                    '-c',
                    'for i in 1 2 3 4 5; do echo line-$i; done; echo done >/dev/termination-log',
                  ],
                },
              ],
            },
          },
        },
      },
    });
    expect(
      job.spec!.selector!.matchLabels!['batch.kubernetes.io/controller-uid'],
    ).toBe(job.metadata!.uid);
    const done = await waitFor('job echo to complete', async () => {
      const j = await batch.readNamespacedJob({ name: 'echo', namespace: NS });
      return j.status?.succeeded === 1 ? j : undefined;
    });
    expect(done.status!.conditions!.map(c => c.type)).toEqual([
      'SuccessCriteriaMet',
      'Complete',
    ]);
    expect(done.status!.startTime).toBeDefined();
    expect(done.status!.completionTime).toBeDefined();
    const immutable = await status(
      batch.patchNamespacedJob(
        {
          name: 'echo',
          namespace: NS,
          body: {
            spec: { template: { spec: { restartPolicy: 'OnFailure' } } },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
    expect(immutable).toMatchObject({
      code: 422,
      body: {
        reason: 'Invalid',
        message:
          'Job.batch "echo" is invalid: spec.template: Invalid value: field is immutable',
      },
    });
    const pods = await core.listNamespacedPod({
      namespace: NS,
      labelSelector: `batch.kubernetes.io/job-name=echo`,
    });
    expect(pods.items).toHaveLength(1);
    const pod = pods.items[0];
    expect(pod.status!.phase).toBe('Succeeded');
    expect(pod.status!.containerStatuses![0].state!.terminated).toMatchObject({
      exitCode: 0,
      reason: 'Completed',
      message: 'done\n',
    });
    const log = await core.readNamespacedPodLog({
      name: pod.metadata!.name!,
      namespace: NS,
      container: 'main',
      tailLines: 2,
      timestamps: true,
    });
    expect(log).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line-4\n\S+ line-5\n$/,
    );
  });

  it('selects with label selectors (=, !=, in, notin, exists, !exists) and field selectors', async () => {
    const names = async (labelSelector?: string, fieldSelector?: string) =>
      (
        await batch.listNamespacedJob({
          namespace: NS,
          labelSelector,
          fieldSelector,
        })
      ).items.map(j => j.metadata!.name);
    expect(await names('app=echo,tier in (db)')).toEqual(['echo']);
    expect(await names('app==echo,tier notin (db)')).toEqual([]);
    expect(await names('app!=echo')).toEqual([]);
    expect(await names('tier')).toEqual(['echo']);
    expect(await names('!tier')).toEqual([]);
    expect(await names(undefined, 'metadata.name=echo')).toEqual(['echo']);
    const running = await core.listNamespacedPod({
      namespace: NS,
      fieldSelector: 'status.phase=Running',
    });
    expect(
      running.items.every(p => p.metadata!.labels!.app === 'backend'),
    ).toBe(true);
    expect(running.items).toHaveLength(3);
    expect(
      await status(
        batch.listNamespacedJob({ namespace: NS, labelSelector: 'a in (b' }),
      ),
    ).toMatchObject({ code: 400 });
  });

  it('paginates lists with limit and continue', async () => {
    for (const name of ['cm-a', 'cm-b', 'cm-c', 'cm-d', 'cm-e'])
      await core.createNamespacedConfigMap({
        namespace: NS,
        body: {
          metadata: { name, labels: { page: 'yes' } },
          data: { k: name },
        },
      });
    const first = await core.listNamespacedConfigMap({
      namespace: NS,
      labelSelector: 'page',
      limit: 2,
    });
    expect(first.items.map(c => c.metadata!.name)).toEqual(['cm-a', 'cm-b']);
    expect(first.metadata!.remainingItemCount).toBe(3);
    const second = await core.listNamespacedConfigMap({
      namespace: NS,
      labelSelector: 'page',
      limit: 2,
      _continue: first.metadata!._continue,
    });
    const third = await core.listNamespacedConfigMap({
      namespace: NS,
      labelSelector: 'page',
      limit: 2,
      _continue: second.metadata!._continue,
    });
    expect(
      [...second.items, ...third.items].map(c => c.metadata!.name),
    ).toEqual(['cm-c', 'cm-d', 'cm-e']);
    expect(third.metadata!._continue).toBeUndefined();
  });

  it('scales a Deployment through the scale subresource (PATCH and PUT) and status follows', async () => {
    const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    const scaled = await apps.patchNamespacedDeploymentScale(
      { name: 'backend', namespace: NS, body: { spec: { replicas: 0 } } },
      merge,
    );
    expect(scaled).toMatchObject({ kind: 'Scale', spec: { replicas: 0 } });
    await waitFor('backend pods to go', async () =>
      (
        await core.listNamespacedPod({
          namespace: NS,
          labelSelector: 'app=backend',
        })
      ).items.length === 0
        ? true
        : undefined,
    );
    const scale = await apps.readNamespacedDeploymentScale({
      name: 'backend',
      namespace: NS,
    });
    await apps.replaceNamespacedDeploymentScale({
      name: 'backend',
      namespace: NS,
      body: { ...scale, spec: { replicas: 2 } },
    });
    const deployment = await waitFor(
      'backend to have 2 ready replicas',
      async () => {
        const d = await apps.readNamespacedDeployment({
          name: 'backend',
          namespace: NS,
        });
        return d.status?.readyReplicas === 2 ? d : undefined;
      },
    );
    expect(deployment.spec!.replicas).toBe(2);
    const negative = await status(
      apps.patchNamespacedDeploymentScale(
        { name: 'backend', namespace: NS, body: { spec: { replicas: -1 } } },
        merge,
      ),
    );
    expect(negative).toMatchObject({ code: 422, body: { reason: 'Invalid' } });
  });

  it('streams watch events with bookmarks, and answers 410 Expired for a too-old resourceVersion', async () => {
    const kc = kubeConfigFor(sandbox);
    const list = await core.listNamespacedConfigMap({ namespace: NS });
    const events: string[] = [];
    const watch = new Watch(kc);
    const request = await watch.watch(
      `/api/v1/namespaces/${NS}/configmaps`,
      {
        resourceVersion: list.metadata!.resourceVersion,
        allowWatchBookmarks: true,
      },
      (type, obj) => events.push(`${type}:${obj?.metadata?.name ?? ''}`),
      () => {},
    );
    await core.createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: 'watched' }, data: { a: '1' } },
    });
    await core.patchNamespacedConfigMap(
      { name: 'watched', namespace: NS, body: { data: { a: '2' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await core.deleteNamespacedConfigMap({ name: 'watched', namespace: NS });
    await waitFor('watch events', () =>
      events.filter(e => !e.startsWith('BOOKMARK')).length >= 3 &&
      events.some(e => e.startsWith('BOOKMARK'))
        ? true
        : undefined,
    );
    request.abort();
    expect(events.filter(e => !e.startsWith('BOOKMARK'))).toEqual([
      'ADDED:watched',
      'MODIFIED:watched',
      'DELETED:watched',
    ]);

    // Push the history past its limit, then ask for the oldest version.
    const store = sandbox.store as unknown as { history: unknown[] };
    store.history.splice(0, store.history.length - 10);
    (sandbox.store as any).historyLimit = 10;
    for (let i = 0; i < 12; i++)
      await core.createNamespacedConfigMap({
        namespace: NS,
        body: { metadata: { name: `spam-${i}` } },
      });
    const errors: unknown[] = [];
    const stale = await new Promise<any>(resolve => {
      void watch.watch(
        `/api/v1/namespaces/${NS}/configmaps`,
        { resourceVersion: '1' },
        (type, obj) => type === 'ERROR' && resolve(obj),
        err => errors.push(err),
      );
    });
    expect(stale).toMatchObject({
      kind: 'Status',
      code: 410,
      reason: 'Expired',
    });
  });

  it('deletes a Job together with its pods', async () => {
    await batch.deleteNamespacedJob({
      name: 'echo',
      namespace: NS,
      propagationPolicy: 'Background',
    });
    const pods = await core.listNamespacedPod({
      namespace: NS,
      labelSelector: 'batch.kubernetes.io/job-name=echo',
    });
    expect(pods.items).toEqual([]);
  });
});

describe('sandbox authentication and authorization', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await Sandbox.start({
      namespaces: ['qawave', 'other'],
      tokens: [
        {
          token: 'portal-token',
          user: 'system:serviceaccount:qawave:pg-backup-portal',
          rules: [
            {
              namespaces: ['qawave'],
              apiGroups: ['batch'],
              resources: ['cronjobs', 'jobs'],
              verbs: ['get', 'list', 'watch'],
            },
            {
              namespaces: ['qawave'],
              apiGroups: ['batch'],
              resources: ['jobs'],
              verbs: ['create'],
            },
            {
              namespaces: ['qawave'],
              apiGroups: ['apps'],
              resources: ['deployments/scale'],
              verbs: ['get', 'patch'],
              resourceNames: ['backend'],
            },
          ],
        },
      ],
    });
  });
  afterAll(() => sandbox.stop());

  it('answers 401 for a missing or unknown token', async () => {
    const anonymous = await new Promise<{ status: number; body: string }>(
      (resolve, reject) => {
        https
          .get(
            `${sandbox.url}/api/v1/namespaces`,
            { ca: sandbox.caCertificate },
            res => {
              let body = '';
              res.on('data', chunk => (body += chunk));
              res.on('end', () =>
                resolve({ status: res.statusCode ?? 0, body }),
              );
            },
          )
          .on('error', reject);
      },
    );
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(anonymous.body)).toMatchObject({
      kind: 'Status',
      reason: 'Unauthorized',
      code: 401,
    });
    const unknown = kubeConfigFor(sandbox, 'nope').makeApiClient(CoreV1Api);
    expect(await status(unknown.listNamespace())).toMatchObject({ code: 401 });
  });

  it('allows exactly what the rules grant and answers 403 Forbidden otherwise', async () => {
    const kc = kubeConfigFor(sandbox, 'portal-token');
    const batch = kc.makeApiClient(BatchV1Api);
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    expect(
      (await batch.listNamespacedCronJob({ namespace: 'qawave' })).items,
    ).toEqual([]);
    expect(
      await status(batch.listNamespacedCronJob({ namespace: 'other' })),
    ).toMatchObject({
      code: 403,
      body: {
        reason: 'Forbidden',
        message:
          'cronjobs.batch is forbidden: User "system:serviceaccount:qawave:pg-backup-portal" cannot list resource "cronjobs" in API group "batch" in the namespace "other"',
      },
    });
    expect(
      await status(
        batch.deleteNamespacedJob({ name: 'x', namespace: 'qawave' }),
      ),
    ).toMatchObject({ code: 403 });
    expect(
      await status(core.listNamespacedSecret({ namespace: 'qawave' })),
    ).toMatchObject({ code: 403 });
    expect(
      await status(
        apps.readNamespacedDeploymentScale({
          name: 'frontend',
          namespace: 'qawave',
        }),
      ),
    ).toMatchObject({ code: 403 });
    expect(
      await status(
        apps.readNamespacedDeploymentScale({
          name: 'backend',
          namespace: 'qawave',
        }),
      ),
    ).toMatchObject({ code: 404 });
  });
});
