/* eslint-disable no-console */
import fs from 'fs';
import path from 'path';
import { Sandbox } from './Sandbox';
import { backupAgentImage } from './pods/backupAgentImage';
import { S3Sandbox } from './s3/S3Sandbox';
import { portalAppConfigYaml, portalGrant } from './portal/portalAccess';
import { WORLD, seedWorld } from './world/seedWorld';

/**
 * `sandbox start [--port N] [--dir DIR]`: runs the sandbox cluster until SIGINT/SIGTERM and
 * writes `<dir>/kubeconfig` (admin token) for kubectl and the portal.
 */
async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command !== 'start') {
    console.error(
      'usage: sandbox start [--port 6443] [--s3-port 4566] [--dir .sandbox] [--no-world]',
    );
    process.exit(2);
  }
  const option = (name: string, fallback: string) => {
    const i = rest.indexOf(`--${name}`);
    return i >= 0 && rest[i + 1] ? rest[i + 1] : fallback;
  };
  const port = Number(option('port', '6443'));
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(
      `--port "${option('port', '')}" is not a port number (0-65535)`,
    );
    process.exit(2);
  }
  // The sandbox runs from the source tree: scripts/env.sh exports the repository root.
  const repoRoot =
    process.env.PG_BACKUP_ROOT ?? path.resolve(process.cwd(), '../..');
  if (!fs.existsSync(path.join(repoRoot, 'deploy/kubernetes'))) {
    console.error(
      `sandbox: ${repoRoot} is not the pg-backup repository root; set PG_BACKUP_ROOT`,
    );
    process.exit(2);
  }
  const dir = path.resolve(option('dir', '.sandbox'));
  fs.mkdirSync(dir, { recursive: true });
  // The portal gets its own token with exactly the Role of rbac.yaml, not the admin token.
  const portal = portalGrant(
    WORLD.map(w => ({
      namespace: w.namespace,
      deployments: Object.keys(w.deployments),
    })),
  );
  const sandbox = await Sandbox.start({
    port,
    rootDir: dir,
    namespaces: WORLD.map(w => w.namespace),
    images: [backupAgentImage(repoRoot)],
    tokens: [portal],
  });
  const kubeconfig = sandbox.writeKubeconfig();
  const s3 = await S3Sandbox.start({
    port: Number(option('s3-port', '4566')),
    logFile: path.join(dir, 's3.log'),
  });
  console.log(`sandbox: S3 on ${s3.endpoint}`);
  // The AWS CLI's own config file for the sandbox S3, as the kubeconfig is for kubectl:
  // `AWS_CONFIG_FILE=.sandbox/aws-config aws s3 ls s3://qawave-backups/postgresql/daily/`.
  fs.writeFileSync(
    path.join(dir, 'aws-config'),
    [
      '[default]',
      `region = ${s3.region}`,
      `endpoint_url = ${s3.endpoint}`,
      `aws_access_key_id = ${s3.credentials.accessKeyId}`,
      `aws_secret_access_key = ${s3.credentials.secretAccessKey}`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  fs.writeFileSync(
    path.join(dir, 'app-config.sandbox.yaml'),
    portalAppConfigYaml({
      kubernetesUrl: sandbox.url,
      caCertificate: sandbox.caCertificate,
      token: portal.token,
      s3Endpoint: s3.endpoint,
      s3Region: s3.region,
      s3AccessKeyId: s3.credentials.accessKeyId,
      s3SecretAccessKey: s3.credentials.secretAccessKey,
    }),
    { mode: 0o600 },
  );
  fs.writeFileSync(
    path.join(dir, 'endpoints.json'),
    JSON.stringify(
      {
        kubernetes: sandbox.url,
        kubeconfig,
        s3: s3.endpoint,
        awsConfig: path.join(dir, 'aws-config'),
        s3Region: s3.region,
      },
      null,
      2,
    ),
  );
  if (!rest.includes('--no-world')) {
    const began = Date.now();
    await seedWorld({
      sandbox,
      s3,
      repoRoot: repoRoot,
      cacheDir: path.join(dir, 'cache'),
      log: line => console.log(`sandbox: ${line}`),
    });
    console.log(
      `sandbox: world seeded in ${((Date.now() - began) / 1000).toFixed(1)}s`,
    );
  }
  fs.writeFileSync(path.join(dir, 'ready'), new Date().toISOString());
  console.log(
    `sandbox: Kubernetes API on ${sandbox.url}; kubeconfig ${kubeconfig}`,
  );
  const stop = async () => {
    await s3.stop();
    await sandbox.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main(process.argv.slice(2)).catch(error => {
  console.error(`sandbox: ${error.message}`);
  process.exit(1);
});
