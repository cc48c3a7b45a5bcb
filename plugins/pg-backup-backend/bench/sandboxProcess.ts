import { ChildProcess, fork, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { freePort } from '@internal/sandbox';
import { parse } from 'yaml';
import type { ProxyProcessOptions, ProxyRequest } from './proxyProcess';

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

/** What a proxy process counted since its last reset. */
export interface ProxyStats {
  total: number;
  counts: Record<string, number>;
  /** How long the upstream took to answer each call, after the added delay. */
  upstreamMs: number[];
}

/** A latency proxy (bench/proxyProcess.ts) in its own process. */
export async function startProxyProcess(options: ProxyProcessOptions) {
  const child = fork(path.join(__dirname, 'proxyProcess.ts'), [], {
    execArgv: ['-r', 'sucrase/register/ts'],
    env: { ...process.env, BENCH_PROXY: JSON.stringify(options) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const reply = (type: string) =>
    new Promise<any>((resolve, reject) => {
      const onExit = (code: number) =>
        reject(new Error(`the ${options.labels} proxy exited with ${code}`));
      const onMessage = (message: { type: string }) => {
        if (message.type !== type) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(message);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const { url } = await reply('started');
  const ask = (type: ProxyRequest['type']): Promise<ProxyStats> => {
    const answer = reply(type);
    child.send({ type });
    return answer;
  };
  return {
    url: url as string,
    /** Forgets the counts. */
    reset: () => ask('reset').then(() => undefined),
    stats: () => ask('stats'),
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise(resolve => child.once('exit', resolve));
    },
  };
}

/** A proxy started by {@link startProxyProcess}. */
export type ProxyProcess = Awaited<ReturnType<typeof startProxyProcess>>;
