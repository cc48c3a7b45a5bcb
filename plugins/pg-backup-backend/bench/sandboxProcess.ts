import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { freePort } from '@internal/sandbox';
import { parse } from 'yaml';

/**
 * The sandbox cluster and S3 in their own process (the sandbox CLI, without the demo world), as
 * a real cluster and S3 would be: their work does not share the backend's event loop.
 */
export async function startSandboxProcess(dir: string) {
  const root =
    process.env.PG_BACKUP_ROOT ?? path.resolve(process.cwd(), '../..');
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '-r',
      'sucrase/register/ts',
      'src/cli.ts',
      'start',
      '--port',
      '0',
      '--s3-port',
      String(await freePort()),
      '--dir',
      dir,
      '--no-world',
    ],
    {
      cwd: path.join(root, 'packages/sandbox'),
      env: { ...process.env, PG_BACKUP_ROOT: root },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const ready = path.join(dir, 'ready');
  for (let i = 0; !fs.existsSync(ready); i++) {
    if (child.exitCode !== null || i > 600)
      throw new Error('the sandbox process did not start');
    await new Promise(r => setTimeout(r, 100));
  }
  const endpoints = JSON.parse(
    fs.readFileSync(path.join(dir, 'endpoints.json'), 'utf8'),
  );
  const kubeconfig = fs.readFileSync(endpoints.kubeconfig, 'utf8');
  const parsed = parse(kubeconfig);
  const portal = parse(
    fs.readFileSync(path.join(dir, 'app-config.sandbox.yaml'), 'utf8'),
  );
  const s3Integration = portal.integrations.awsS3[0];
  const credentials = {
    accessKeyId: s3Integration.accessKeyId as string,
    secretAccessKey: s3Integration.secretAccessKey as string,
  };
  const stop = async () => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    await new Promise(resolve => child.once('exit', resolve));
  };
  const sandbox = {
    url: endpoints.kubernetes as string,
    rootDir: dir,
    caCertificate: Buffer.from(
      parsed.clusters[0].cluster['certificate-authority-data'],
      'base64',
    ).toString('utf8'),
    adminToken: parsed.users[0].user.token as string,
    kubeconfig: () => kubeconfig,
    stop,
  };
  const s3 = {
    endpoint: endpoints.s3 as string,
    region: endpoints.s3Region as string,
    credentials,
    clientConfig: (): S3ClientConfig => ({
      endpoint: endpoints.s3,
      region: endpoints.s3Region,
      forcePathStyle: true,
      credentials: { ...credentials },
    }),
    stop,
  };
  return { sandbox, s3 };
}

/** The cluster side of {@link startSandboxProcess}. */
export type SandboxProcess = Awaited<
  ReturnType<typeof startSandboxProcess>
>['sandbox'];
/** The S3 side of {@link startSandboxProcess}. */
export type S3Process = Awaited<ReturnType<typeof startSandboxProcess>>['s3'];
