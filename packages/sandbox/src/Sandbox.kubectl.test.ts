import { execFile, spawn } from 'child_process';
import fs from 'fs';
import path from 'path';
import { promisify } from 'util';
import { Sandbox } from './Sandbox';
import { backupCronJob, waitFor, kubectl } from './__testUtils__/helpers';

jest.setTimeout(90_000);

const run = promisify(execFile);
const NS = 'qawave';
const DB = `sandbox_kubectl_${process.pid}`;

describe('sandbox through the real kubectl, with the QAWave runbook commands', () => {
  let sandbox: Sandbox;
  let kubeconfig: string;

  beforeAll(async () => {
    await run('psql', [
      '-h',
      '127.0.0.1',
      '-U',
      'postgres',
      '-d',
      'postgres',
      '-c',
      `DROP DATABASE IF EXISTS ${DB}`,
      '-c',
      `CREATE DATABASE ${DB}`,
    ]);
    await run('psql', [
      '-h',
      '127.0.0.1',
      '-U',
      'postgres',
      '-d',
      DB,
      '-c',
      'CREATE TABLE orders(id int primary key, note text); INSERT INTO orders SELECT g, md5(g::text) FROM generate_series(1, 2000) g;',
    ]);
    sandbox = await Sandbox.start({ namespaces: [NS] });
    kubeconfig = sandbox.writeKubeconfig();
    const manifests = path.join(sandbox.rootDir, 'manifests.json');
    const script = [
      'set -eu',
      'echo "starting backup of $DB_NAME"',
      'sleep 1',
      'pg_dump -Fc -h "$PGHOST" -U "$PGUSER" -d "$DB_NAME" -f /backups/db.dump',
      'echo "dump size $(wc -c </backups/db.dump) bytes"',
      'pg_restore --list /backups/db.dump | grep -c "TABLE DATA" | sed "s/^/table data entries: /"',
      'echo "$(cat /etc/backup/bucket)" >/dev/termination-log',
    ].join('\n');
    const cronJob = backupCronJob('postgresql-backup', script);
    const pod = cronJob.spec.jobTemplate.spec.template.spec as any;
    pod.containers[0].env = [
      { name: 'PGHOST', value: '127.0.0.1' },
      {
        name: 'PGUSER',
        valueFrom: {
          secretKeyRef: { name: 'postgresql-secrets', key: 'username' },
        },
      },
      {
        name: 'DB_NAME',
        valueFrom: {
          configMapKeyRef: { name: 'backup-config', key: 'database' },
        },
      },
      {
        name: 'POD_NAME',
        valueFrom: { fieldRef: { fieldPath: 'metadata.name' } },
      },
    ];
    pod.containers[0].volumeMounts = [
      { name: 'backups', mountPath: '/backups' },
      { name: 'config', mountPath: '/etc/backup', readOnly: true },
    ];
    pod.volumes = [
      { name: 'backups', emptyDir: {} },
      { name: 'config', configMap: { name: 'backup-config' } },
    ];
    fs.writeFileSync(
      manifests,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          {
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: { name: 'postgresql-secrets', namespace: NS },
            stringData: { username: 'postgres', password: 'not-used' },
          },
          {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: 'backup-config', namespace: NS },
            data: { database: DB, bucket: 'qawave-backups' },
          },
          { ...cronJob, metadata: { ...cronJob.metadata, namespace: NS } },
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: { name: 'backend', namespace: NS },
            spec: {
              replicas: 3,
              selector: { matchLabels: { app: 'backend' } },
              template: {
                metadata: { labels: { app: 'backend' } },
                spec: {
                  containers: [{ name: 'api', image: 'qawave/backend:1.0' }],
                },
              },
            },
          },
          {
            apiVersion: 'apps/v1',
            kind: 'StatefulSet',
            metadata: { name: 'postgresql', namespace: NS },
            spec: {
              replicas: 1,
              serviceName: 'postgresql',
              selector: {
                matchLabels: { 'app.kubernetes.io/name': 'postgresql' },
              },
              template: {
                metadata: {
                  labels: { 'app.kubernetes.io/name': 'postgresql' },
                },
                spec: {
                  containers: [
                    { name: 'postgresql', image: 'bitnami/postgresql:15' },
                  ],
                },
              },
            },
          },
        ],
      }),
    );
    const applied = await kubectl(
      kubeconfig,
      'apply',
      '--validate=false',
      '-f',
      manifests,
    );
    if (
      applied.code !== 0 ||
      !applied.stdout.includes('cronjob.batch/postgresql-backup created')
    ) {
      throw new Error(`kubectl apply failed: ${applied.stderr}`);
    }
  });

  afterAll(async () => {
    await sandbox?.stop();
    await run('psql', [
      '-h',
      '127.0.0.1',
      '-U',
      'postgres',
      '-d',
      'postgres',
      '-c',
      `DROP DATABASE IF EXISTS ${DB}`,
    ]);
  });

  it('kubectl get cronjobs -n qawave', async () => {
    const { stdout, code } = await kubectl(
      kubeconfig,
      'get',
      'cronjobs',
      '-n',
      NS,
    );
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE/,
    );
    expect(stdout).toMatch(
      /postgresql-backup\s+0 2 \* \* \*\s+<none>\s+False\s+0\s+<none>/,
    );
  });

  it('kubectl create job --from=cronjob, logs -f while it runs a real pg_dump, and the CronJob records the success', async () => {
    const created = await kubectl(
      kubeconfig,
      'create',
      'job',
      '--from=cronjob/postgresql-backup',
      'manual-backup',
      '-n',
      NS,
    );
    expect(created).toMatchObject({
      code: 0,
      stdout: 'job.batch/manual-backup created\n',
    });

    // Follow the log while the job runs: the first line arrives before the process has exited.
    const follow = spawn(
      'kubectl',
      ['--kubeconfig', kubeconfig, 'logs', '-f', 'job/manual-backup', '-n', NS],
      { env: { ...process.env, HOME: sandbox.rootDir } },
    );
    let output = '';
    let firstLineWhileRunning: boolean | undefined;
    let firstCheck: Promise<void> | undefined;
    follow.stdout.on('data', chunk => {
      if (output === '') {
        firstCheck = kubectl(
          kubeconfig,
          'get',
          'job',
          'manual-backup',
          '-n',
          NS,
          '-o',
          'jsonpath={.status.succeeded}',
        ).then(r => {
          firstLineWhileRunning = r.stdout === '';
        });
      }
      output += chunk;
    });
    follow.stderr.on('data', chunk => (output += chunk));
    const exitCode = await new Promise(resolve => follow.on('close', resolve));
    await firstCheck;
    expect(exitCode).toBe(0);
    expect(output).toContain(`starting backup of ${DB}`);
    expect(output).toMatch(/dump size \d+ bytes/);
    expect(output).toContain('table data entries: 1');
    expect(firstLineWhileRunning).toBe(true);

    const job = await waitFor('manual-backup to complete', async () => {
      const j = JSON.parse(
        (
          await kubectl(
            kubeconfig,
            'get',
            'job',
            'manual-backup',
            '-n',
            NS,
            '-o',
            'json',
          )
        ).stdout,
      );
      return j.status.succeeded === 1 ? j : undefined;
    });
    expect(job.metadata.annotations['cronjob.kubernetes.io/instantiate']).toBe(
      'manual',
    );
    expect(job.metadata.ownerReferences[0]).toMatchObject({
      kind: 'CronJob',
      name: 'postgresql-backup',
      controller: true,
    });
    const pods = JSON.parse(
      (
        await kubectl(
          kubeconfig,
          'get',
          'pods',
          '-n',
          NS,
          '-l',
          'job-name=manual-backup',
          '-o',
          'json',
        )
      ).stdout,
    );
    expect(
      pods.items[0].status.containerStatuses[0].state.terminated,
    ).toMatchObject({ exitCode: 0, message: 'qawave-backups\n' });

    const last = await waitFor('lastSuccessfulTime', async () => {
      const { stdout } = await kubectl(
        kubeconfig,
        'get',
        'cronjob',
        'postgresql-backup',
        '-n',
        NS,
        '-o',
        'jsonpath={.status.lastSuccessfulTime}',
      );
      return stdout || undefined;
    });
    expect(last).toBe(job.status.completionTime);
  });

  it('kubectl get jobs -l ... --sort-by=.status.startTime', async () => {
    const second = await kubectl(
      kubeconfig,
      'create',
      'job',
      '--from=cronjob/postgresql-backup',
      'manual-backup-2',
      '-n',
      NS,
    );
    expect(second.code).toBe(0);
    await waitFor('second job to start', async () => {
      const r = await kubectl(
        kubeconfig,
        'get',
        'job',
        'manual-backup-2',
        '-n',
        NS,
        '-o',
        'jsonpath={.status.startTime}',
      );
      if (r.code !== 0) throw new Error(r.stderr);
      return r.stdout ? true : undefined;
    });
    const { stdout, code } = await kubectl(
      kubeconfig,
      'get',
      'jobs',
      '-n',
      NS,
      '-l',
      'app.kubernetes.io/name=postgresql-backup',
      '--sort-by=.status.startTime',
      '-o',
      'name',
    );
    expect(code).toBe(0);
    expect(stdout).toBe('job.batch/manual-backup\njob.batch/manual-backup-2\n');
  });

  it('kubectl get jobs -l ... --sort-by=.status.startTime, as the QAWave runbook prints them', async () => {
    // Without -o, kubectl asks for a Table whose rows carry whole objects to sort them.
    const { stdout, stderr, code } = await kubectl(
      kubeconfig,
      'get',
      'jobs',
      '-n',
      NS,
      '-l',
      'app.kubernetes.io/name=postgresql-backup',
      '--sort-by=.status.startTime',
    );
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const rows = stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE/);
    expect(rows.slice(1).map(r => r.split(/\s+/)[0])).toEqual([
      'manual-backup',
      'manual-backup-2',
    ]);
  });

  it('kubectl scale deployment backend --replicas=0, and the emergency runbook pod check', async () => {
    expect(
      await kubectl(
        kubeconfig,
        'scale',
        'deployment',
        'backend',
        '--replicas=0',
        '-n',
        NS,
      ),
    ).toMatchObject({ code: 0, stdout: 'deployment.apps/backend scaled\n' });
    await waitFor('backend pods gone', async () =>
      (
        await kubectl(
          kubeconfig,
          'get',
          'pods',
          '-n',
          NS,
          '-l',
          'app=backend',
          '-o',
          'name',
        )
      ).stdout === ''
        ? true
        : undefined,
    );
    const { stdout } = await kubectl(
      kubeconfig,
      'get',
      'deployment',
      'backend',
      '-n',
      NS,
      '-o',
      'jsonpath={.spec.replicas}/{.status.replicas}',
    );
    expect(stdout).toBe('0/0');
    expect(
      await kubectl(
        kubeconfig,
        'scale',
        'deployment',
        'backend',
        '--replicas=3',
        '-n',
        NS,
      ),
    ).toMatchObject({ code: 0 });
    await waitFor('backend back to 3', async () =>
      (
        await kubectl(
          kubeconfig,
          'get',
          'deployment',
          'backend',
          '-n',
          NS,
          '-o',
          'jsonpath={.status.readyReplicas}',
        )
      ).stdout === '3'
        ? true
        : undefined,
    );
    const pg = await kubectl(
      kubeconfig,
      'get',
      'pods',
      '-n',
      NS,
      '-l',
      'app.kubernetes.io/name=postgresql',
    );
    expect(pg.stdout).toMatch(/postgresql-0\s+1\/1\s+Running/);
  });

  it('kubectl apply -f of a Job manifest, describe, and delete removes its pods', async () => {
    const file = path.join(sandbox.rootDir, 'job.yaml');
    fs.writeFileSync(
      file,
      [
        'apiVersion: batch/v1',
        'kind: Job',
        'metadata:',
        '  name: postgresql-verify',
        `  namespace: ${NS}`,
        'spec:',
        '  backoffLimit: 0',
        '  template:',
        '    spec:',
        '      restartPolicy: Never',
        '      containers:',
        '        - name: verify',
        '          image: postgres:15',
        `          command: ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "${DB}", "-tAc", "SELECT count(*) FROM orders"]`,
        '',
      ].join('\n'),
    );
    expect(
      await kubectl(kubeconfig, 'apply', '--validate=false', '-f', file),
    ).toMatchObject({
      code: 0,
      stdout: 'job.batch/postgresql-verify created\n',
    });
    await waitFor('verify to complete', async () =>
      (
        await kubectl(
          kubeconfig,
          'get',
          'job',
          'postgresql-verify',
          '-n',
          NS,
          '-o',
          'jsonpath={.status.succeeded}',
        )
      ).stdout === '1'
        ? true
        : undefined,
    );
    expect(
      (await kubectl(kubeconfig, 'logs', 'job/postgresql-verify', '-n', NS))
        .stdout,
    ).toBe('2000\n');
    const described = await kubectl(
      kubeconfig,
      'describe',
      'job',
      'postgresql-verify',
      '-n',
      NS,
    );
    expect(described.stdout).toMatch(
      /Pods Statuses:\s+0 Active .* 1 Succeeded \/ 0 Failed/,
    );
    expect(described.stdout).toContain('SuccessfulCreate');
    expect(
      await kubectl(kubeconfig, 'delete', 'job', 'postgresql-verify', '-n', NS),
    ).toMatchObject({
      code: 0,
      stdout: 'job.batch "postgresql-verify" deleted\n',
    });
    expect(
      (
        await kubectl(
          kubeconfig,
          'get',
          'pods',
          '-n',
          NS,
          '-l',
          'job-name=postgresql-verify',
          '-o',
          'name',
        )
      ).stdout,
    ).toBe('');
  });

  it('reports 401 and 403 the way kubectl users expect', async () => {
    const bad = sandbox.writeKubeconfig('bad-kubeconfig', 'wrong-token');
    const denied = await kubectl(bad, 'get', 'cronjobs', '-n', NS);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/Unauthorized|must be logged in/);
  });
});
