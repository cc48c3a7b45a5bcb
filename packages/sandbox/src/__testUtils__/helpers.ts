import { execFile } from 'child_process';
import path from 'path';
import { promisify } from 'util';
import { KubeConfig } from '@kubernetes/client-node';
import { Sandbox } from '../Sandbox';

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}${
          lastError ? `: ${String(lastError)}` : ''
        }`,
      );
    await new Promise(r => setTimeout(r, 100));
  }
}

/** A client-node KubeConfig for the sandbox (http, bearer token). */
export function kubeConfigFor(
  sandbox: Sandbox,
  token = sandbox.adminToken,
): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: 'sandbox',
        server: sandbox.url,
        caData: Buffer.from(sandbox.caCertificate).toString('base64'),
        skipTLSVerify: false,
      },
    ],
    users: [{ name: 'u', token }],
    contexts: [{ name: 'sandbox', cluster: 'sandbox', user: 'u' }],
    currentContext: 'sandbox',
  });
  return kc;
}

/** The QAWave runbook's backup CronJob with a script; `command` overrides what the container runs. */
export function backupCronJob(
  name: string,
  script: string,
  extra: Record<string, unknown> = {},
) {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, labels: { 'app.kubernetes.io/name': name } },
    spec: {
      schedule: '0 2 * * *',
      ...extra,
      jobTemplate: {
        metadata: {
          labels: {
            'app.kubernetes.io/name': name,
            'app.kubernetes.io/component': 'backup',
          },
        },
        spec: {
          backoffLimit: 0,
          template: {
            metadata: { labels: { 'app.kubernetes.io/name': name } },
            spec: {
              restartPolicy: 'Never',
              containers: [
                {
                  name: 'backup',
                  image: 'postgres:15',
                  command: ['/bin/sh', '-c', script],
                },
              ],
            },
          },
        },
      },
    },
  };
}

/** What a kubectl run printed and how it exited. */
export interface KubectlResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs the real kubectl against a sandbox kubeconfig (HOME beside it, so no cache is shared). */
export async function kubectl(
  kubeconfig: string,
  ...args: string[]
): Promise<KubectlResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      'kubectl',
      ['--kubeconfig', kubeconfig, ...args],
      {
        env: { ...process.env, HOME: path.dirname(kubeconfig) },
        timeout: 60_000,
      },
    );
    return { stdout, stderr, code: 0 };
  } catch (error: any) {
    return {
      stdout: error.stdout ?? '',
      stderr: error.stderr ?? String(error),
      code: error.code ?? 1,
    };
  }
}
