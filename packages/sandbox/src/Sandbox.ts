import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { stringify } from 'yaml';
import { ApiServer } from './api/ApiServer';
import { TokenGrant } from './api/authorization';
import { Clock, systemClock } from './clock';
import { ControllerManager } from './controllers/ControllerManager';
import { CronJobController } from './controllers/CronJobController';
import { JobController } from './controllers/JobController';
import { createObject, TYPES } from './controllers/objects';
import { WorkloadController } from './controllers/WorkloadController';
import { ImageMap, ImageRuntime, DEFAULT_IMAGES } from './pods/ImageMap';
import { PodRunner } from './pods/PodRunner';
import { ObjectStore } from './store/ObjectStore';

/** Options of {@link Sandbox.start}. */
export interface SandboxOptions {
  /** Port of the API server; 0 (default) picks a free one. */
  port?: number;
  /** Directory for pod volumes and the kubeconfig; default a new temporary directory. */
  rootDir?: string;
  /** Time source; pass a ManualClock to drive schedules in tests. */
  clock?: Clock;
  /** Extra tokens besides the admin token; each with its own rules. */
  tokens?: TokenGrant[];
  /** Images the pod runner can run, before the defaults. */
  images?: ImageRuntime[];
  /** Namespaces created at start (besides `default`). */
  namespaces?: string[];
  /** Job retry back-off base (Kubernetes: 10 s). */
  jobBackoffMs?: number;
  /** Delay before restarting a failed container (kubelet: 10 s). */
  restartDelayMs?: number;
  /** How often watches that asked for bookmarks get one. */
  bookmarkIntervalMs?: number;
}

/** A running sandbox cluster: API server, controllers and pod runner. */
export class Sandbox {
  private constructor(
    /** The object store behind the API. */
    readonly store: ObjectStore,
    /** The HTTP API server. */
    readonly server: ApiServer,
    /** The pod runner. */
    readonly pods: PodRunner,
    /** The controllers. */
    readonly controllers: ControllerManager,
    /** The sandbox's directory. */
    readonly rootDir: string,
    /** A token with cluster-admin rights. */
    readonly adminToken: string,
    /** The API server's self-signed certificate (PEM), to trust as the cluster CA. */
    readonly caCertificate: string,
    private readonly ownsRoot: boolean,
  ) {}

  /** Starts a sandbox and waits until its API server listens. */
  static async start(options: SandboxOptions = {}): Promise<Sandbox> {
    const clock = options.clock ?? systemClock;
    const rootDir =
      options.rootDir ??
      fs.mkdtempSync(path.join(os.tmpdir(), 'pg-backup-sandbox-'));
    fs.mkdirSync(rootDir, { recursive: true });
    const store = new ObjectStore(clock);
    const adminToken = `sandbox-admin-${Math.random()
      .toString(36)
      .slice(2)}${Math.random().toString(36).slice(2)}`;
    const pods = new PodRunner(store, clock, {
      rootDir,
      images: new ImageMap([...(options.images ?? []), ...DEFAULT_IMAGES]),
      restartDelayMs: options.restartDelayMs,
    });
    const tls = selfSignedCertificate(rootDir);
    const server = new ApiServer({
      store,
      tls,
      logs: pods,
      tokens: [
        { token: adminToken, user: 'sandbox-admin' },
        ...(options.tokens ?? []),
      ],
      bookmarkIntervalMs: options.bookmarkIntervalMs,
    });
    for (const name of [
      'default',
      'kube-system',
      ...(options.namespaces ?? []),
    ]) {
      if (!store.find(TYPES.Namespace, undefined, name))
        createObject(store, TYPES.Namespace, { metadata: { name } });
    }
    const controllers = new ControllerManager(store, clock, [
      new CronJobController(store),
      new JobController(store, { backoffBaseMs: options.jobBackoffMs }),
      new WorkloadController(store),
    ]);
    await server.listen(options.port ?? 0);
    pods.start();
    controllers.start();
    return new Sandbox(
      store,
      server,
      pods,
      controllers,
      rootDir,
      adminToken,
      tls.cert,
      options.rootDir === undefined,
    );
  }

  /** The API server's URL. */
  get url(): string {
    return this.server.url;
  }

  /** A kubeconfig for this sandbox (YAML) with the given token (default: admin). */
  kubeconfig(token = this.adminToken, namespace = 'default'): string {
    return stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'sandbox',
          cluster: {
            server: this.url,
            'certificate-authority-data': Buffer.from(
              this.caCertificate,
            ).toString('base64'),
          },
        },
      ],
      users: [{ name: 'sandbox-user', user: { token } }],
      contexts: [
        {
          name: 'sandbox',
          context: { cluster: 'sandbox', user: 'sandbox-user', namespace },
        },
      ],
      'current-context': 'sandbox',
    });
  }

  /** Writes a kubeconfig file under the sandbox directory and returns its path. */
  writeKubeconfig(fileName = 'kubeconfig', token?: string): string {
    const file = path.join(this.rootDir, fileName);
    fs.writeFileSync(file, this.kubeconfig(token), { mode: 0o600 });
    return file;
  }

  /** Stops controllers, containers and the API server; removes a temporary directory. */
  async stop(): Promise<void> {
    this.controllers.stop();
    await this.pods.stop();
    await this.server.close();
    if (this.ownsRoot)
      fs.rmSync(this.rootDir, { recursive: true, force: true });
  }
}

/**
 * A self-signed certificate for 127.0.0.1 and localhost, made once per sandbox directory with
 * openssl: kubectl sends bearer tokens only over TLS, so the sandbox speaks HTTPS.
 */
function selfSignedCertificate(rootDir: string): { key: string; cert: string } {
  const keyFile = path.join(rootDir, 'apiserver.key');
  const certFile = path.join(rootDir, 'apiserver.crt');
  if (!fs.existsSync(keyFile) || !fs.existsSync(certFile)) {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-days',
        '3650',
        '-subj',
        '/CN=pg-backup-sandbox',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { stdio: 'pipe' },
    );
    fs.chmodSync(keyFile, 0o600);
  }
  return {
    key: fs.readFileSync(keyFile, 'utf8'),
    cert: fs.readFileSync(certFile, 'utf8'),
  };
}
