import fs from 'fs';
import path from 'path';
import { parseAllDocuments } from 'yaml';
import {
  GetBucketLifecycleConfigurationCommand,
  PutBucketLifecycleConfigurationCommand,
  S3Client,
  CreateBucketCommand,
} from '@aws-sdk/client-s3';
import { Sandbox } from './Sandbox';
import { S3Sandbox } from './s3/S3Sandbox';
import { waitFor, kubectl } from './__testUtils__/helpers';

jest.setTimeout(60_000);

const deployDir = path.resolve(
  __dirname,
  '../../../deploy/kubernetes/postgresql-backup',
);

describe('deploy/kubernetes/postgresql-backup', () => {
  let sandbox: Sandbox;
  let kubeconfig: string;

  beforeAll(async () => {
    sandbox = await Sandbox.start({ namespaces: ['qawave'] });
    kubeconfig = sandbox.writeKubeconfig();
  });
  afterAll(() => sandbox.stop());

  it('renders with kustomize into the qawave namespace with app.kubernetes.io labels', async () => {
    const { stdout, code, stderr } = await kubectl(
      kubeconfig,
      'kustomize',
      deployDir,
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const docs = parseAllDocuments(stdout).map(d => d.toJS());
    expect(docs.map(d => `${d.kind}/${d.metadata.name}`).sort()).toEqual([
      'ConfigMap/postgresql-backup-config',
      'CronJob/postgresql-backup',
      'CronJob/postgresql-wal-checkpoint',
      'PrometheusRule/postgresql-backup-alerts',
      'Role/pg-backup-portal',
      'RoleBinding/pg-backup-portal',
      'ServiceAccount/pg-backup-portal',
      'ServiceAccount/postgresql-backup',
    ]);
    for (const doc of docs) {
      expect(doc.metadata.namespace).toBe('qawave');
      expect(doc.metadata.labels['app.kubernetes.io/part-of']).toBe('qawave');
    }
    const role = docs.find(d => d.kind === 'Role');
    const verbs = role.rules.flatMap((r: { verbs: string[] }) => r.verbs);
    expect(verbs).not.toContain('delete');
    expect(
      role.rules.find((r: { resources: string[] }) =>
        r.resources.includes('deployments/scale'),
      ).resourceNames,
    ).toEqual(['backend']);
  });

  it('applies to the sandbox with kubectl apply -k, and the QAWave runbook commands work on it', async () => {
    const secrets = path.join(sandbox.rootDir, 'backup-secrets.yaml');
    fs.writeFileSync(
      secrets,
      fs
        .readFileSync(
          path.join(deployDir, 'backup-secrets.yaml.example'),
          'utf8',
        )
        .replace(/REPLACE_ME/g, 'sandbox'),
    );
    expect(
      await kubectl(kubeconfig, 'apply', '--validate=false', '-f', secrets),
    ).toMatchObject({
      code: 0,
    });
    const applied = await kubectl(
      kubeconfig,
      'apply',
      '--validate=false',
      '-k',
      deployDir,
    );
    expect(applied.stderr).toBe('');
    expect(applied.stdout).toContain('cronjob.batch/postgresql-backup created');
    expect(applied.stdout).toContain(
      'prometheusrule.monitoring.coreos.com/postgresql-backup-alerts created',
    );

    const cronjobs = await kubectl(
      kubeconfig,
      'get',
      'cronjobs',
      '-n',
      'qawave',
    );
    expect(cronjobs.stdout).toMatch(
      /postgresql-backup\s+0 2 \* \* \*\s+Etc\/UTC\s+False/,
    );
    expect(cronjobs.stdout).toMatch(
      /postgresql-wal-checkpoint\s+0 \*\/6 \* \* \*\s+Etc\/UTC\s+False/,
    );

    const checkpointEnv = JSON.parse(
      (
        await kubectl(
          kubeconfig,
          'get',
          'cronjob',
          'postgresql-wal-checkpoint',
          '-n',
          'qawave',
          '-o',
          'jsonpath={.spec.jobTemplate.spec.template.spec.containers[0].env}',
        )
      ).stdout,
    );
    expect(checkpointEnv.map((e: { name: string }) => e.name)).toEqual([
      'PGPASSWORD',
      'S3_PREFIX',
    ]);

    expect(
      await kubectl(
        kubeconfig,
        'create',
        'job',
        '--from=cronjob/postgresql-backup',
        'manual-backup',
        '-n',
        'qawave',
      ),
    ).toMatchObject({
      code: 0,
      stdout: 'job.batch/manual-backup created\n',
    });
    const listed = await waitFor('the manual job to be listed', async () => {
      const r = await kubectl(
        kubeconfig,
        'get',
        'jobs',
        '-n',
        'qawave',
        '-l',
        'app.kubernetes.io/name=postgresql-backup',
        '-o',
        'name',
      );
      return r.stdout || undefined;
    });
    expect(listed).toBe('job.batch/manual-backup\n');

    const restore = await kubectl(
      kubeconfig,
      'apply',
      '--validate=false',
      '-n',
      'qawave',
      '-f',
      path.join(deployDir, 'restore-job.yaml'),
    );
    expect(restore.stdout).toBe(
      'job.batch/postgresql-restore created\njob.batch/postgresql-verify created\n',
    );
  });

  it('ships a lifecycle rule that S3 accepts and that matches the 30-day retention objective', async () => {
    const rules = JSON.parse(
      fs.readFileSync(path.join(deployDir, 's3-lifecycle.json'), 'utf8'),
    );
    const s3 = await S3Sandbox.start();
    try {
      const client = new S3Client(s3.clientConfig());
      await client.send(new CreateBucketCommand({ Bucket: 'qawave-backups' }));
      await client.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket: 'qawave-backups',
          LifecycleConfiguration: rules,
        }),
      );
      const read = await client.send(
        new GetBucketLifecycleConfigurationCommand({
          Bucket: 'qawave-backups',
        }),
      );
      const daily = read.Rules!.find(r => r.ID === 'expire-daily-backups');
      expect(daily).toMatchObject({
        Status: 'Enabled',
        Expiration: { Days: 30 },
      });
      expect(daily!.Filter).toMatchObject({ Prefix: 'postgresql/daily/' });
    } finally {
      await s3.stop();
    }
  });
});
