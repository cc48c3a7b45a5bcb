import { CustomErrorBase } from '@backstage/errors';
import { ChildProcess, spawn, spawnSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { PodLogLine, PodLogSource } from '../api/podLogs';
import { Clock } from '../clock';
import { k8sTime, Obj, TYPES } from '../controllers/objects';
import { VIRTUAL_POD_ANNOTATION } from '../controllers/WorkloadController';
import { ObjectStore, StoreEvent } from '../store/ObjectStore';
import { ImageMap } from './ImageMap';
import { expandVariables } from './expandVariables';

/** Options of {@link PodRunner}. */
export interface PodRunnerOptions {
  /** The sandbox's own directory; pod volumes and logs live under `<rootDir>/pods`. */
  rootDir: string;
  /** Which images the sandbox can run, and with what. */
  images?: ImageMap;
  /** Delay before a container with restartPolicy OnFailure/Always restarts (kubelet: 10 s). */
  restartDelayMs?: number;
  /** Upper bound of the grace period between SIGTERM and SIGKILL. */
  maxGracePeriodMs?: number;
  /** Lines kept per container for `pods/log`. */
  maxLogLines?: number;
}

interface ContainerRun {
  name: string;
  lines: PodLogLine[];
  followers: Set<{ onLine: (l: PodLogLine) => void; onEnd: () => void }>;
  process?: ChildProcess;
  running: boolean;
  restartCount: number;
}

interface PodRun {
  key: string;
  uid: string;
  dir: string;
  containers: Map<string, ContainerRun>;
  stopped: boolean;
  timers: Set<NodeJS.Timeout>;
}

type Waiting = { reason: string; message: string };

interface PreparedContainer {
  container: any;
  argv: string[];
  env: Record<string, string>;
  binds: string[];
  terminationFile: string;
}

/** Thrown while preparing a container: becomes a waiting reason and fails the pod. */
class ContainerConfigError extends CustomErrorBase {
  constructor(readonly reason: string, message: string) {
    super(message);
  }
}

const podKey = (namespace: string, name: string) => `${namespace}/${name}`;

/** Whether Debian's bubblewrap is available to isolate containers' file systems. */
export function bubblewrapAvailable(): boolean {
  return spawnSync('bwrap', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Runs the containers of real (non-virtual) pods as local processes inside bubblewrap: the
 * host's /usr plays the image, volumes (ConfigMap, Secret, emptyDir) are files under the pod's
 * directory bound at their mount paths, the network is the host's. Captures logs, exit codes and
 * termination messages into the pod's status; kills processes when a pod is deleted.
 */
export class PodRunner implements PodLogSource {
  private readonly runs = new Map<string, PodRun>();
  // Pods whose containers ended: their logs stay readable until the pod is deleted.
  private readonly done = new Map<string, PodRun>();
  private readonly images: ImageMap;
  private unsubscribe?: () => void;
  private readonly hasBubblewrap = bubblewrapAvailable();

  constructor(
    private readonly store: ObjectStore,
    private readonly clock: Clock,
    private readonly options: PodRunnerOptions,
  ) {
    this.images = options.images ?? new ImageMap();
  }

  /** Starts watching the store for pods to run. */
  start(): void {
    fs.mkdirSync(path.join(this.options.rootDir, 'pods'), { recursive: true });
    this.unsubscribe = this.store.subscribe(event => this.onEvent(event));
    for (const pod of this.store.list(TYPES.Pod) as Obj[]) this.consider(pod);
  }

  /** Stops every container and stops watching. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    await Promise.all([...this.runs.values()].map(run => this.kill(run, 0)));
  }

  private onEvent(event: StoreEvent): void {
    if (event.resource !== TYPES.Pod) return;
    const pod = event.object as Obj;
    if (event.type === 'DELETED') {
      const key = podKey(pod.metadata.namespace!, pod.metadata.name);
      const done = this.done.get(key);
      if (done && done.uid === pod.metadata.uid) {
        this.done.delete(key);
        fs.rmSync(done.dir, { recursive: true, force: true });
      }
      const run = this.runs.get(key);
      if (run && run.uid === pod.metadata.uid) {
        this.runs.delete(run.key);
        void this.kill(
          run,
          Math.min(
            (pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000,
            this.options.maxGracePeriodMs ?? 5000,
          ),
        );
      }
      return;
    }
    // Defer: the event arrives while the store is still handing it out to other listeners.
    setImmediate(() => this.consider(pod));
  }

  private consider(pod: Obj): void {
    const key = podKey(pod.metadata.namespace!, pod.metadata.name);
    if (this.runs.has(key) || pod.status?.phase !== 'Pending') return;
    if (
      (pod.metadata.annotations as Record<string, string> | undefined)?.[
        VIRTUAL_POD_ANNOTATION
      ] === 'true'
    )
      return;
    const current = this.store.find(
      TYPES.Pod,
      pod.metadata.namespace,
      pod.metadata.name,
    ) as Obj | undefined;
    if (
      !current ||
      current.metadata.uid !== pod.metadata.uid ||
      current.status?.phase !== 'Pending'
    )
      return;
    const dir = path.join(
      this.options.rootDir,
      'pods',
      `${pod.metadata.namespace}_${pod.metadata.name}_${pod.metadata.uid}`,
    );
    const run: PodRun = {
      key,
      uid: pod.metadata.uid as string,
      dir,
      containers: new Map(),
      stopped: false,
      timers: new Set(),
    };
    this.runs.set(key, run);
    void this.runPod(run, current).catch(error =>
      this.failPod(run, {
        reason: 'SandboxError',
        message: String(error?.message ?? error),
      }),
    );
  }

  private async runPod(run: PodRun, pod: Obj): Promise<void> {
    const spec = pod.spec;
    this.updatePod(run, p => {
      p.spec.nodeName ??= 'sandbox-node';
      p.status = {
        ...p.status,
        phase: 'Pending',
        hostIP: '127.0.0.1',
        podIP: '127.0.0.1',
        startTime: k8sTime(this.clock.now()),
        conditions: [
          {
            type: 'PodScheduled',
            status: 'True',
            lastTransitionTime: k8sTime(this.clock.now()),
          },
        ],
        containerStatuses: spec.containers.map(
          (c: { name: string; image: string }) => ({
            name: c.name,
            image: c.image,
            ready: false,
            started: false,
            restartCount: 0,
            state: { waiting: { reason: 'ContainerCreating' } },
          }),
        ),
      };
    });
    if (!this.hasBubblewrap) {
      throw new ContainerConfigError(
        'SandboxUnavailable',
        'bubblewrap (bwrap) is not installed; run scripts/bootstrap.sh, which installs it',
      );
    }
    let prepared: PreparedContainer[];
    try {
      fs.mkdirSync(path.join(run.dir, 'volumes'), { recursive: true });
      const volumes = this.materializeVolumes(run, pod);
      prepared = [...(spec.initContainers ?? []), ...spec.containers].map(
        (c: any) => this.prepare(run, pod, c, volumes),
      );
    } catch (error) {
      if (error instanceof ContainerConfigError) {
        this.failPod(run, { reason: error.reason, message: error.message });
        return;
      }
      throw error;
    }
    const initCount = (spec.initContainers ?? []).length;
    for (const init of prepared.slice(0, initCount)) {
      const code = await this.runContainer(run, pod, init, true);
      if (code !== 0 || run.stopped) {
        if (!run.stopped) this.finishPod(run, 'Failed');
        return;
      }
    }
    const codes = await Promise.all(
      prepared.slice(initCount).map(c => this.runContainer(run, pod, c, false)),
    );
    if (run.stopped) return;
    this.finishPod(
      run,
      codes.every(code => code === 0) ? 'Succeeded' : 'Failed',
    );
  }

  /** Writes ConfigMap, Secret and emptyDir volumes as files under the pod's directory. */
  private materializeVolumes(run: PodRun, pod: Obj): Map<string, string> {
    const dirs = new Map<string, string>();
    for (const volume of pod.spec.volumes ?? []) {
      const dir = path.join(run.dir, 'volumes', volume.name);
      fs.mkdirSync(dir, { recursive: true });
      dirs.set(volume.name, dir);
      let data: Record<string, Buffer> | undefined;
      let items:
        | Array<{ key: string; path: string; mode?: number }>
        | undefined;
      let mode = 0o644;
      if (volume.configMap) {
        const cm = this.store.find(
          TYPES.ConfigMap,
          pod.metadata.namespace,
          volume.configMap.name,
        ) as any;
        if (!cm) {
          if (volume.configMap.optional) continue;
          throw new ContainerConfigError(
            'CreateContainerConfigError',
            `configmap "${volume.configMap.name}" not found (volume "${volume.name}")`,
          );
        }
        data = Object.fromEntries(
          Object.entries(cm.data ?? {}).map(([k, v]) => [
            k,
            Buffer.from(String(v)),
          ]),
        );
        for (const [k, v] of Object.entries(cm.binaryData ?? {}))
          data[k] = Buffer.from(String(v), 'base64');
        items = volume.configMap.items;
        mode = volume.configMap.defaultMode ?? mode;
      } else if (volume.secret) {
        const secret = this.store.find(
          TYPES.Secret,
          pod.metadata.namespace,
          volume.secret.secretName,
        ) as any;
        if (!secret) {
          if (volume.secret.optional) continue;
          throw new ContainerConfigError(
            'CreateContainerConfigError',
            `secret "${volume.secret.secretName}" not found (volume "${volume.name}")`,
          );
        }
        data = Object.fromEntries(
          Object.entries(secret.data ?? {}).map(([k, v]) => [
            k,
            Buffer.from(String(v), 'base64'),
          ]),
        );
        items = volume.secret.items;
        mode = volume.secret.defaultMode ?? mode;
      } else if (!volume.emptyDir) {
        throw new ContainerConfigError(
          'CreateContainerConfigError',
          `volume "${volume.name}" uses a source the sandbox does not provide (only configMap, secret and emptyDir)`,
        );
      }
      if (!data) continue;
      const entries = items
        ? items.map(i => [i.path, i.key, i.mode] as const)
        : Object.keys(data).map(k => [k, k, undefined] as const);
      for (const [file, key, fileMode] of entries) {
        if (!data[key])
          throw new ContainerConfigError(
            'CreateContainerConfigError',
            `key "${key}" not found in the source of volume "${volume.name}"`,
          );
        const target = path.resolve(dir, file);
        if (!target.startsWith(`${dir}${path.sep}`)) {
          throw new ContainerConfigError(
            'CreateContainerConfigError',
            `item path "${file}" of volume "${volume.name}" leaves the volume`,
          );
        }
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, data[key], { mode: fileMode ?? mode });
        fs.chmodSync(target, fileMode ?? mode);
      }
    }
    return dirs;
  }

  private resolveEnv(pod: Obj, container: any): Record<string, string> {
    const env: Record<string, string> = {};
    const source = (kind: 'ConfigMap' | 'Secret', name: string) =>
      this.store.find(TYPES[kind], pod.metadata.namespace, name) as any;
    const decode = (kind: 'ConfigMap' | 'Secret', value: string) =>
      kind === 'Secret' ? Buffer.from(value, 'base64').toString('utf8') : value;
    for (const from of container.envFrom ?? []) {
      const kind = from.secretRef ? 'Secret' : 'ConfigMap';
      const ref = from.secretRef ?? from.configMapRef;
      const obj = source(kind, ref.name);
      if (!obj) {
        if (ref.optional) continue;
        throw new ContainerConfigError(
          'CreateContainerConfigError',
          `${kind.toLowerCase()} "${ref.name}" not found`,
        );
      }
      for (const [k, v] of Object.entries(obj.data ?? {}))
        env[`${from.prefix ?? ''}${k}`] = decode(kind, String(v));
    }
    const expand = (value: string) => expandVariables(value, env);
    for (const e of container.env ?? []) {
      if (e.value !== undefined || !e.valueFrom) {
        env[e.name] = expand(e.value ?? '');
        continue;
      }
      const { secretKeyRef, configMapKeyRef, fieldRef } = e.valueFrom;
      if (secretKeyRef || configMapKeyRef) {
        const kind = secretKeyRef ? 'Secret' : 'ConfigMap';
        const ref = secretKeyRef ?? configMapKeyRef;
        const value = source(kind, ref.name)?.data?.[ref.key];
        if (value === undefined) {
          if (ref.optional) continue;
          throw new ContainerConfigError(
            'CreateContainerConfigError',
            `couldn't find key ${ref.key} in ${kind} ${pod.metadata.namespace}/${ref.name}`,
          );
        }
        env[e.name] = decode(kind, String(value));
      } else if (fieldRef) {
        env[e.name] = this.fieldValue(pod, fieldRef.fieldPath);
      } else {
        throw new ContainerConfigError(
          'CreateContainerConfigError',
          `env ${e.name}: valueFrom source not supported by the sandbox (use value, secretKeyRef, configMapKeyRef or fieldRef)`,
        );
      }
    }
    return env;
  }

  private fieldValue(pod: Obj, fieldPath: string): string {
    const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
    if (m)
      return String(
        (pod.metadata[m[1]] as Record<string, string> | undefined)?.[m[2]] ??
          '',
      );
    const values: Record<string, string | undefined> = {
      'metadata.name': pod.metadata.name,
      'metadata.namespace': pod.metadata.namespace,
      'metadata.uid': pod.metadata.uid as string,
      'spec.nodeName': 'sandbox-node',
      'spec.serviceAccountName': pod.spec.serviceAccountName ?? 'default',
      'status.hostIP': '127.0.0.1',
      'status.podIP': '127.0.0.1',
    };
    if (!(fieldPath in values))
      throw new ContainerConfigError(
        'CreateContainerConfigError',
        `fieldRef ${fieldPath} is not supported`,
      );
    return values[fieldPath] ?? '';
  }

  private prepare(
    run: PodRun,
    pod: Obj,
    container: any,
    volumes: Map<string, string>,
  ): PreparedContainer {
    const image = this.images.resolve(container.image);
    if (!image) {
      throw new ContainerConfigError(
        'ErrImagePull',
        `image "${
          container.image
        }" is not in the sandbox image map (known: ${this.images.describe()}); the sandbox runs host tools, it does not pull images`,
      );
    }
    const env: Record<string, string> = {
      ...image.env,
      PATH: image.path,
      HOSTNAME: pod.metadata.name,
      HOME: '/root',
      ...this.resolveEnv(pod, container),
    };
    const expand = (value: string) => expandVariables(value, env);
    const command: string[] | undefined = container.command ?? image.entrypoint;
    const args: string[] =
      container.args ?? (container.command ? [] : image.cmd ?? []);
    const argv = [...(command ?? []), ...args].map(expand);
    if (argv.length === 0) {
      throw new ContainerConfigError(
        'CreateContainerError',
        `container "${container.name}" sets no command and image "${container.image}" has none in the sandbox image map`,
      );
    }
    const terminationFile = path.join(run.dir, 'termination', container.name);
    fs.mkdirSync(path.dirname(terminationFile), { recursive: true });
    fs.writeFileSync(terminationFile, '');
    const mountPaths: string[] = (container.volumeMounts ?? []).map(
      (m: { mountPath: string }) => m.mountPath,
    );
    const binds = [
      ...readOnlyHostDir('/usr', mountPaths),
      ...readOnlyHostDir('/etc', mountPaths),
      '--symlink',
      'usr/bin',
      '/bin',
      '--symlink',
      'usr/sbin',
      '/sbin',
      '--symlink',
      'usr/lib',
      '/lib',
      '--symlink',
      'usr/lib64',
      '/lib64',
      '--proc',
      '/proc',
      '--dev',
      '/dev',
      '--tmpfs',
      '/tmp',
      '--tmpfs',
      '/root',
      '--tmpfs',
      '/var',
      '--unshare-pid',
      '--unshare-ipc',
      '--die-with-parent',
      '--new-session',
      '--hostname',
      pod.metadata.name.slice(0, 63),
      '--unshare-uts',
    ];
    for (const bind of image.binds ?? [])
      binds.push('--ro-bind', bind.host, bind.container);
    for (const mount of container.volumeMounts ?? []) {
      let host = volumes.get(mount.name);
      if (!host) continue;
      if (mount.subPath) {
        host = path.resolve(host, mount.subPath);
        if (!host.startsWith(volumes.get(mount.name)!))
          throw new ContainerConfigError(
            'CreateContainerConfigError',
            `subPath "${mount.subPath}" leaves volume "${mount.name}"`,
          );
      }
      const pod$volume = (pod.spec.volumes ?? []).find(
        (v: { name: string }) => v.name === mount.name,
      );
      const readOnly =
        mount.readOnly || pod$volume?.configMap || pod$volume?.secret;
      binds.push(readOnly ? '--ro-bind' : '--bind', host, mount.mountPath);
    }
    binds.push(
      '--bind',
      terminationFile,
      container.terminationMessagePath ?? '/dev/termination-log',
    );
    if (container.workingDir) binds.push('--chdir', container.workingDir);
    return { container, argv, env, binds, terminationFile };
  }

  private runContainer(
    run: PodRun,
    pod: Obj,
    prepared: PreparedContainer,
    init: boolean,
  ): Promise<number> {
    const { container } = prepared;
    const state: ContainerRun = run.containers.get(container.name) ?? {
      name: container.name,
      lines: [],
      followers: new Set(),
      running: false,
      restartCount: 0,
    };
    run.containers.set(container.name, state);
    const restartPolicy = pod.spec.restartPolicy ?? 'Always';
    return new Promise(resolve => {
      const start = () => {
        if (run.stopped) {
          resolve(137);
          return;
        }
        fs.writeFileSync(prepared.terminationFile, '');
        const startedAt = k8sTime(this.clock.now());
        const child = spawn(
          'bwrap',
          [...prepared.binds, '--', ...prepared.argv],
          {
            env: prepared.env,
            stdio: ['ignore', 'pipe', 'pipe'],
            detached: true,
          },
        );
        state.process = child;
        state.running = true;
        this.setContainerState(
          run,
          container.name,
          init,
          { running: { startedAt } },
          state.restartCount,
          true,
        );
        const capture = (stream: NodeJS.ReadableStream) => {
          let partial = '';
          stream.setEncoding('utf8');
          stream.on('data', (chunk: string) => {
            const parts = (partial + chunk).split('\n');
            partial = parts.pop() ?? '';
            parts.forEach(text => this.appendLine(state, text));
          });
          stream.on('end', () => {
            if (partial) this.appendLine(state, partial);
          });
        };
        capture(child.stdout!);
        capture(child.stderr!);
        let spawnError: string | undefined;
        child.on('error', error => {
          spawnError = error.message;
        });
        child.on('close', (code, signal) => {
          state.running = false;
          state.process = undefined;
          const exitCode =
            code ?? (signal ? 128 + (signal === 'SIGKILL' ? 9 : 15) : 1);
          let message = fs.existsSync(prepared.terminationFile)
            ? fs.readFileSync(prepared.terminationFile, 'utf8').slice(0, 4096)
            : '';
          if (
            !message &&
            exitCode !== 0 &&
            container.terminationMessagePolicy === 'FallbackToLogsOnError'
          ) {
            message = state.lines
              .slice(-80)
              .map(l => l.text)
              .join('\n')
              .slice(-2048);
          }
          if (spawnError) message = message || spawnError;
          const terminated = {
            exitCode,
            ...(signal && { signal: signal === 'SIGKILL' ? 9 : 15 }),
            reason: exitCode === 0 ? 'Completed' : 'Error',
            startedAt,
            finishedAt: k8sTime(this.clock.now()),
            ...(message && { message }),
            containerID: `sandbox://${run.uid}/${container.name}`,
          };
          const restart =
            !run.stopped &&
            !init &&
            (restartPolicy === 'Always' ||
              (restartPolicy === 'OnFailure' && exitCode !== 0));
          this.setContainerState(
            run,
            container.name,
            init,
            { terminated },
            state.restartCount,
            false,
            restart ? terminated : undefined,
          );
          if (restart) {
            state.restartCount += 1;
            const timer = setTimeout(() => {
              run.timers.delete(timer);
              start();
            }, this.options.restartDelayMs ?? 10_000);
            run.timers.add(timer);
            this.setContainerState(
              run,
              container.name,
              init,
              {
                waiting: {
                  reason: 'CrashLoopBackOff',
                  message: `back-off restarting failed container ${container.name}`,
                },
              },
              state.restartCount,
              false,
              terminated,
            );
            return;
          }
          for (const f of state.followers) f.onEnd();
          state.followers.clear();
          resolve(exitCode);
        });
      };
      start();
    });
  }

  private appendLine(state: ContainerRun, text: string): void {
    const now = new Date();
    const line = { time: `${now.toISOString().slice(0, -1)}000000Z`, text };
    state.lines.push(line);
    const max = this.options.maxLogLines ?? 10_000;
    if (state.lines.length > max)
      state.lines.splice(0, state.lines.length - max);
    for (const f of state.followers) f.onLine(line);
  }

  private setContainerState(
    run: PodRun,
    name: string,
    init: boolean,
    state: Record<string, unknown>,
    restartCount: number,
    running: boolean,
    lastState?: Record<string, unknown>,
  ): void {
    this.updatePod(run, pod => {
      const field = init ? 'initContainerStatuses' : 'containerStatuses';
      const list: any[] =
        pod.status[field] ??
        (init ? pod.spec.initContainers : pod.spec.containers).map(
          (c: { name: string; image: string }) => ({
            name: c.name,
            image: c.image,
            ready: false,
            restartCount: 0,
            state: { waiting: { reason: 'PodInitializing' } },
          }),
        );
      pod.status[field] = list.map(s =>
        s.name === name
          ? {
              ...s,
              state,
              ready: running,
              started: running,
              restartCount,
              ...(lastState ? { lastState: { terminated: lastState } } : {}),
            }
          : s,
      );
      const all = pod.status.containerStatuses ?? [];
      if (!init && running && all.every((s: any) => s.state?.running)) {
        pod.status.phase = 'Running';
        pod.status.conditions = [
          { type: 'PodScheduled', status: 'True' },
          { type: 'Initialized', status: 'True' },
          { type: 'ContainersReady', status: 'True' },
          { type: 'Ready', status: 'True' },
        ].map(c => ({ ...c, lastTransitionTime: k8sTime(this.clock.now()) }));
      }
    });
  }

  private retire(run: PodRun): void {
    this.runs.delete(run.key);
    this.done.set(run.key, run);
  }

  private finishPod(run: PodRun, phase: 'Succeeded' | 'Failed'): void {
    this.retire(run);
    this.updatePod(run, pod => {
      pod.status.phase = phase;
      pod.status.conditions = (pod.status.conditions ?? []).map((c: any) =>
        c.type === 'Ready' || c.type === 'ContainersReady'
          ? { ...c, status: 'False', reason: 'PodCompleted' }
          : c,
      );
    });
  }

  private failPod(run: PodRun, waiting: Waiting): void {
    this.retire(run);
    this.updatePod(run, pod => {
      pod.status.phase = 'Failed';
      pod.status.reason = waiting.reason;
      pod.status.message = waiting.message;
      pod.status.containerStatuses = (pod.status.containerStatuses ?? []).map(
        (s: any) => ({
          ...s,
          state: {
            waiting: { reason: waiting.reason, message: waiting.message },
          },
        }),
      );
    });
  }

  private updatePod(run: PodRun, change: (pod: any) => void): void {
    const [namespace, name] = run.key.split('/');
    const pod = this.store.find(TYPES.Pod, namespace, name) as any;
    if (!pod || pod.metadata.uid !== run.uid) return;
    pod.status ??= {};
    change(pod);
    this.store.update(TYPES.Pod, pod);
  }

  private kill(run: PodRun, graceMs: number): Promise<void> {
    run.stopped = true;
    for (const timer of run.timers) clearTimeout(timer);
    const waits = [...run.containers.values()].map(
      state =>
        new Promise<void>(resolve => {
          const child = state.process;
          if (!child || child.exitCode !== null || child.pid === undefined) {
            resolve();
            return;
          }
          child.once('close', () => resolve());
          const signal = (sig: NodeJS.Signals) => {
            try {
              process.kill(-child.pid!, sig);
            } catch {
              /* already gone */
            }
          };
          signal('SIGTERM');
          setTimeout(() => signal('SIGKILL'), graceMs).unref();
        }),
    );
    return Promise.all(waits).then(() => {
      for (const state of run.containers.values()) {
        for (const f of state.followers) f.onEnd();
        state.followers.clear();
      }
      fs.rmSync(run.dir, { recursive: true, force: true });
    });
  }

  // PodLogSource -------------------------------------------------------------------------------

  /** Lines a container wrote so far, or undefined when it never ran. */
  lines(
    namespace: string,
    pod: string,
    container: string,
  ): PodLogLine[] | undefined {
    const state = this.findContainer(namespace, pod, container);
    return state ? [...state.lines] : undefined;
  }

  /** Follows a container's log until it ends. */
  follow(
    namespace: string,
    pod: string,
    container: string,
    onLine: (line: PodLogLine) => void,
    onEnd: () => void,
  ): () => void {
    const state = this.findContainer(namespace, pod, container);
    if (!state) {
      onEnd();
      return () => {};
    }
    state.lines.forEach(onLine);
    if (!state.running && !this.runs.has(podKey(namespace, pod))) {
      onEnd();
      return () => {};
    }
    const follower = { onLine, onEnd };
    state.followers.add(follower);
    return () => state.followers.delete(follower);
  }

  private findContainer(
    namespace: string,
    pod: string,
    container: string,
  ): ContainerRun | undefined {
    const key = podKey(namespace, pod);
    return (this.runs.get(key) ?? this.done.get(key))?.containers.get(
      container,
    );
  }
}

/**
 * Binds a host directory read-only into the container. When a volume is mounted below it (e.g.
 * `/etc/backup`), bubblewrap cannot create the mount point inside a read-only bind, so the
 * directory becomes a tmpfs holding read-only binds (and symlinks) of each host entry instead;
 * new files there land in that tmpfs, never on the host.
 */
function readOnlyHostDir(dir: string, mountPaths: string[]): string[] {
  if (!mountPaths.some(m => m.startsWith(`${dir}/`)))
    return ['--ro-bind', dir, dir];
  const args = ['--tmpfs', dir];
  for (const entry of fs.readdirSync(dir)) {
    const full = path.join(dir, entry);
    const stat = fs.lstatSync(full);
    if (stat.isSymbolicLink())
      args.push('--symlink', fs.readlinkSync(full), full);
    else args.push('--ro-bind', full, full);
  }
  return args;
}
