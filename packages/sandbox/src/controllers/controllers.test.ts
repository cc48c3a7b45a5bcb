import { execFileSync } from 'child_process';
import { BatchV1Api, CoreV1Api, V1Job } from '@kubernetes/client-node';
import { ManualClock } from '../clock';
import { Sandbox } from '../Sandbox';
import {
  backupCronJob,
  kubeConfigFor,
  waitFor,
} from '../__testUtils__/helpers';

jest.setTimeout(60_000);

const NS = 'qawave';
const minutes = (iso: string) => Math.floor(Date.parse(iso) / 60_000);

describe('CronJob controller on an injected clock', () => {
  let sandbox: Sandbox;
  let clock: ManualClock;
  let batch: BatchV1Api;
  let core: CoreV1Api;

  beforeEach(async () => {
    clock = new ManualClock('2026-01-30T01:58:00Z');
    sandbox = await Sandbox.start({ clock, namespaces: [NS] });
    batch = kubeConfigFor(sandbox).makeApiClient(BatchV1Api);
    core = kubeConfigFor(sandbox).makeApiClient(CoreV1Api);
  });
  afterEach(() => sandbox.stop());

  const jobs = async () =>
    (await batch.listNamespacedJob({ namespace: NS })).items;
  const cronJob = (name = 'postgresql-backup') =>
    batch.readNamespacedCronJob({ name, namespace: NS });

  it('creates the Job Kubernetes would, when the schedule is due, and records its success', async () => {
    await batch.createNamespacedCronJob({
      namespace: NS,
      body: backupCronJob('postgresql-backup', 'sleep 1; echo backed up'),
    });
    clock.advance(60_000);
    expect(await jobs()).toEqual([]);
    clock.advance(90_000); // 02:00:30
    const [job] = await waitFor('the scheduled job', async () =>
      (await jobs()).length ? jobs() : undefined,
    );
    const cj = await cronJob();
    expect(job.metadata).toMatchObject({
      name: `postgresql-backup-${minutes('2026-01-30T02:00:00Z')}`,
      labels: {
        'app.kubernetes.io/name': 'postgresql-backup',
        'app.kubernetes.io/component': 'backup',
      },
      annotations: {
        'batch.kubernetes.io/cronjob-scheduled-timestamp':
          '2026-01-30T02:00:00Z',
      },
      ownerReferences: [
        {
          kind: 'CronJob',
          name: 'postgresql-backup',
          uid: cj.metadata!.uid,
          controller: true,
        },
      ],
    });
    expect(new Date(cj.status!.lastScheduleTime!).toISOString()).toBe(
      '2026-01-30T02:00:00.000Z',
    );
    expect(cj.status!.active!.map(a => a.name)).toEqual([job.metadata!.name]);
    const done = await waitFor('lastSuccessfulTime', async () => {
      const c = await cronJob();
      return c.status?.lastSuccessfulTime && !c.status.active ? c : undefined;
    });
    expect(done.status!.lastSuccessfulTime).toBeDefined();
  });

  it('starts only the most recent missed run after a long gap', async () => {
    await batch.createNamespacedCronJob({
      namespace: NS,
      body: {
        ...backupCronJob('postgresql-wal-checkpoint', 'true'),
        spec: { ...backupCronJob('x', 'true').spec, schedule: '*/5 * * * *' },
      },
    });
    clock.advance(62 * 60_000); // 03:00
    const all = await waitFor('one job', async () =>
      (await jobs()).length ? jobs() : undefined,
    );
    expect(all.map(j => j.metadata!.name)).toEqual([
      `postgresql-wal-checkpoint-${minutes('2026-01-30T03:00:00Z')}`,
    ]);
  });

  it('reads the schedule in spec.timeZone', async () => {
    await batch.createNamespacedCronJob({
      namespace: NS,
      body: backupCronJob('berlin', 'true', {
        schedule: '0 3 * * *',
        timeZone: 'Europe/Berlin',
      }),
    });
    clock.set('2026-01-30T01:59:30Z');
    await new Promise(r => setTimeout(r, 200));
    expect(await jobs()).toEqual([]);
    clock.set('2026-01-30T02:00:05Z'); // 03:00 in Berlin (UTC would wait until 03:00Z)
    const [job] = await waitFor('the Berlin job', async () =>
      (await jobs()).length ? jobs() : undefined,
    );
    expect(
      job.metadata!.annotations![
        'batch.kubernetes.io/cronjob-scheduled-timestamp'
      ],
    ).toBe('2026-01-30T02:00:00Z');
  });

  it('starts nothing while suspended, and nothing past startingDeadlineSeconds', async () => {
    await batch.createNamespacedCronJob({
      namespace: NS,
      body: backupCronJob('suspended', 'true', { suspend: true }),
    });
    await batch.createNamespacedCronJob({
      namespace: NS,
      body: backupCronJob('late', 'true', { startingDeadlineSeconds: 60 }),
    });
    clock.set('2026-01-30T02:10:00Z');
    await new Promise(r => setTimeout(r, 300));
    expect(await jobs()).toEqual([]);
    const events = await core.listNamespacedEvent({
      namespace: NS,
      fieldSelector: 'involvedObject.name=late',
    });
    expect(events.items.map(e => e.reason)).toContain('MissSchedule');
  });

  it('honours concurrencyPolicy Forbid and Replace', async () => {
    const spec = { schedule: '*/1 * * * *' };
    await batch.createNamespacedCronJob({
      namespace: NS,
      body: {
        ...backupCronJob('forbid', 'sleep 30'),
        spec: {
          ...backupCronJob('x', 'sleep 30').spec,
          ...spec,
          concurrencyPolicy: 'Forbid',
        },
      },
    });
    await batch.createNamespacedCronJob({
      namespace: NS,
      body: {
        ...backupCronJob('replace', 'sleep 30'),
        spec: {
          ...backupCronJob('x', 'sleep 30').spec,
          ...spec,
          concurrencyPolicy: 'Replace',
        },
      },
    });
    clock.set('2026-01-30T01:59:01Z');
    await waitFor('two jobs', async () =>
      (await jobs()).length === 2 ? true : undefined,
    );
    clock.set('2026-01-30T02:00:01Z');
    await waitFor('replace to swap its job', async () => {
      const names = (await jobs()).map(j => j.metadata!.name).sort();
      return names.includes(`replace-${minutes('2026-01-30T02:00:00Z')}`) &&
        !names.includes(`replace-${minutes('2026-01-30T01:59:00Z')}`)
        ? names
        : undefined;
    });
    const names = (await jobs()).map(j => j.metadata!.name).sort();
    expect(names).toEqual([
      `forbid-${minutes('2026-01-30T01:59:00Z')}`,
      `replace-${minutes('2026-01-30T02:00:00Z')}`,
    ]);
  });

  it('keeps only successfulJobsHistoryLimit finished jobs', async () => {
    await batch.createNamespacedCronJob({
      namespace: NS,
      body: backupCronJob('history', 'true', {
        schedule: '*/1 * * * *',
        successfulJobsHistoryLimit: 1,
      }),
    });
    for (const t of [
      '2026-01-30T01:59:01Z',
      '2026-01-30T02:00:01Z',
      '2026-01-30T02:01:01Z',
    ]) {
      clock.set(t);
      await waitFor(`job for ${t} to finish`, async () =>
        (
          await jobs()
        ).some(
          j =>
            j.metadata!.name === `history-${minutes(t)}` && j.status?.succeeded,
        )
          ? true
          : undefined,
      );
    }
    clock.advance(1000);
    await waitFor('history trimmed to one', async () =>
      (await jobs()).length === 1 ? true : undefined,
    );
    expect((await jobs()).map(j => j.metadata!.name)).toEqual([
      `history-${minutes('2026-01-30T02:01:01Z')}`,
    ]);
  });
});

describe('Job controller and pod runner', () => {
  let sandbox: Sandbox;
  let batch: BatchV1Api;
  let core: CoreV1Api;

  beforeAll(async () => {
    sandbox = await Sandbox.start({
      namespaces: [NS],
      jobBackoffMs: 100,
      restartDelayMs: 100,
    });
    batch = kubeConfigFor(sandbox).makeApiClient(BatchV1Api);
    core = kubeConfigFor(sandbox).makeApiClient(CoreV1Api);
  });
  afterAll(() => sandbox.stop());

  const job = (
    name: string,
    container: Record<string, unknown>,
    spec: Record<string, unknown> = {},
    restartPolicy = 'Never',
  ): V1Job => ({
    metadata: { name },
    spec: {
      backoffLimit: 0,
      ...spec,
      template: {
        spec: {
          restartPolicy,
          containers: [{ name: 'main', image: 'busybox', ...container }],
        },
      },
    },
  });
  const finished = (name: string) =>
    waitFor(`job ${name} to finish`, async () => {
      const j = await batch.readNamespacedJob({ name, namespace: NS });
      return j.status?.conditions?.some(
        c =>
          (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
      )
        ? j
        : undefined;
    });
  const podsOf = async (name: string) =>
    (
      await core.listNamespacedPod({
        namespace: NS,
        labelSelector: `job-name=${name}`,
      })
    ).items;

  it('retries failed pods up to backoffLimit, then fails with BackoffLimitExceeded', async () => {
    await batch.createNamespacedJob({
      namespace: NS,
      body: job(
        'flaky',
        { command: ['sh', '-c', 'echo trying; exit 3'] },
        { backoffLimit: 2 },
      ),
    });
    const done = await finished('flaky');
    expect(done.status).toMatchObject({ failed: 3 });
    expect(
      done.status!.conditions!.find(c => c.type === 'Failed'),
    ).toMatchObject({ status: 'True', reason: 'BackoffLimitExceeded' });
    const pods = await podsOf('flaky');
    expect(pods).toHaveLength(3);
    expect(
      pods.every(
        p => p.status!.containerStatuses![0].state!.terminated!.exitCode === 3,
      ),
    ).toBe(true);
  });

  it('counts in-place restarts of OnFailure pods against backoffLimit', async () => {
    await batch.createNamespacedJob({
      namespace: NS,
      body: job(
        'restarts',
        { command: ['sh', '-c', 'exit 1'] },
        { backoffLimit: 2 },
        'OnFailure',
      ),
    });
    const done = await finished('restarts');
    expect(
      done.status!.conditions!.find(c => c.type === 'Failed')!.reason,
    ).toBe('BackoffLimitExceeded');
  });

  it('kills a pod past activeDeadlineSeconds and fails with DeadlineExceeded', async () => {
    const started = Date.now();
    await batch.createNamespacedJob({
      namespace: NS,
      body: job(
        'slow',
        { command: ['sleep', '60'] },
        { activeDeadlineSeconds: 1 },
      ),
    });
    const done = await finished('slow');
    expect(
      done.status!.conditions!.find(c => c.type === 'Failed')!.reason,
    ).toBe('DeadlineExceeded');
    expect(Date.now() - started).toBeLessThan(15_000);
    await waitFor('the pod to be gone', async () =>
      (await podsOf('slow')).length === 0 ? true : undefined,
    );
  });

  it('deletes a finished Job after ttlSecondsAfterFinished', async () => {
    await batch.createNamespacedJob({
      namespace: NS,
      body: job(
        'ephemeral',
        { command: ['true'] },
        { ttlSecondsAfterFinished: 0 },
      ),
    });
    await waitFor('the job to be deleted', async () =>
      (
        await batch.listNamespacedJob({
          namespace: NS,
          fieldSelector: 'metadata.name=ephemeral',
        })
      ).items.length === 0
        ? true
        : undefined,
    );
    expect(await podsOf('ephemeral')).toEqual([]);
  });

  it('kills the running process when its Job is deleted, and deletecollection removes by label', async () => {
    const marker = `${4000 + (process.pid % 1000)}.5`;
    await batch.createNamespacedJob({
      namespace: NS,
      body: job('long', { command: ['sleep', marker] }),
    });
    const running = () =>
      execFileSync('pgrep', ['-f', `sleep ${marker}`], {
        encoding: 'utf8',
      }).trim();
    await waitFor('the process to run', () => {
      try {
        return running() || undefined;
      } catch {
        return undefined;
      }
    });
    await batch.deleteNamespacedJob({ name: 'long', namespace: NS });
    await waitFor('the process to be killed', () => {
      try {
        running();
        return undefined;
      } catch {
        return true;
      }
    });
    expect(await podsOf('long')).toEqual([]);

    for (const name of ['gc-1', 'gc-2']) {
      await core.createNamespacedConfigMap({
        namespace: NS,
        body: { metadata: { name, labels: { purge: 'yes' } } },
      });
    }
    await core.createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: 'keep' } },
    });
    await core.deleteCollectionNamespacedConfigMap({
      namespace: NS,
      labelSelector: 'purge=yes',
    });
    const left = (
      await core.listNamespacedConfigMap({ namespace: NS })
    ).items.map(c => c.metadata!.name);
    expect(left).toContain('keep');
    expect(left).not.toContain('gc-1');
    expect(left).not.toContain('gc-2');
  });

  it('fails a pod whose image is unknown with ErrImagePull, running nothing', async () => {
    await batch.createNamespacedJob({
      namespace: NS,
      body: job('unknown-image', {
        image: 'registry.example.com/evil:1',
        command: ['true'],
      }),
    });
    await finished('unknown-image');
    const [pod] = await podsOf('unknown-image');
    expect(pod.status!.phase).toBe('Failed');
    expect(pod.status!.containerStatuses![0].state!.waiting).toMatchObject({
      reason: 'ErrImagePull',
      message: expect.stringContaining(
        'image "registry.example.com/evil:1" is not in the sandbox image map',
      ),
    });
  });

  it('fails with CreateContainerConfigError when a referenced Secret key is missing', async () => {
    await batch.createNamespacedJob({
      namespace: NS,
      body: job('no-secret', {
        command: ['true'],
        env: [
          {
            name: 'P',
            valueFrom: { secretKeyRef: { name: 'absent', key: 'password' } },
          },
        ],
      }),
    });
    await finished('no-secret');
    const [pod] = await podsOf('no-secret');
    expect(pod.status!.containerStatuses![0].state!.waiting).toMatchObject({
      reason: 'CreateContainerConfigError',
      message: `couldn't find key password in Secret ${NS}/absent`,
    });
  });

  it('passes env from values, Secrets, ConfigMaps (envFrom) and fieldRefs, and mounts volumes read-only where asked', async () => {
    await core.createNamespacedSecret({
      namespace: NS,
      body: {
        metadata: { name: 's3' },
        stringData: { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE' },
      },
    });
    await core.createNamespacedConfigMap({
      namespace: NS,
      body: {
        metadata: { name: 'cfg' },
        data: { BUCKET: 'qawave-backups', 'script.sh': 'echo from-script' },
      },
    });
    const script = [
      'echo "key=$AWS_ACCESS_KEY_ID bucket=$CFG_BUCKET pod=$POD ns=$NS plain=$PLAIN"',
      'sh /scripts/script.sh',
      'echo scratch > /work/file && cat /work/file',
      'touch /scripts/x 2>/dev/null && echo scripts-writable || echo scripts-read-only',
      'touch /usr/x 2>/dev/null && echo usr-writable || echo usr-read-only',
      'pwd',
    ].join('; ');
    await batch.createNamespacedJob({
      namespace: NS,
      body: {
        metadata: { name: 'env' },
        spec: {
          backoffLimit: 0,
          template: {
            spec: {
              restartPolicy: 'Never',
              volumes: [
                {
                  name: 'scripts',
                  configMap: {
                    name: 'cfg',
                    items: [{ key: 'script.sh', path: 'script.sh' }],
                  },
                },
                { name: 'work', emptyDir: {} },
              ],
              containers: [
                {
                  name: 'main',
                  image: 'busybox',
                  command: ['sh', '-c', script],
                  workingDir: '/work',
                  envFrom: [
                    { secretRef: { name: 's3' } },
                    { configMapRef: { name: 'cfg' }, prefix: 'CFG_' },
                  ],
                  env: [
                    { name: 'PLAIN', value: 'v' },
                    {
                      name: 'POD',
                      valueFrom: { fieldRef: { fieldPath: 'metadata.name' } },
                    },
                    {
                      name: 'NS',
                      valueFrom: {
                        fieldRef: { fieldPath: 'metadata.namespace' },
                      },
                    },
                  ],
                  volumeMounts: [
                    { name: 'scripts', mountPath: '/scripts' },
                    { name: 'work', mountPath: '/work' },
                  ],
                },
              ],
            },
          },
        },
      },
    });
    const done = await finished('env');
    expect(done.status!.succeeded).toBe(1);
    const [pod] = await podsOf('env');
    const log = await core.readNamespacedPodLog({
      name: pod.metadata!.name!,
      namespace: NS,
    });
    expect(log).toBe(
      [
        `key=AKIAEXAMPLE bucket=qawave-backups pod=${
          pod.metadata!.name
        } ns=${NS} plain=v`,
        'from-script',
        'scratch',
        'scripts-read-only',
        'usr-read-only',
        '/work',
        '',
      ].join('\n'),
    );
  });
});
