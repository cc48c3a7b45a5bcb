import { PassThrough, Writable } from 'node:stream';
import {
  ApiException,
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  Log,
  V1CronJob,
  V1Job,
  V1Pod,
} from '@kubernetes/client-node';
import { ClusterConfig, ClusterRegistry } from './ClusterRegistry';
import { UpstreamError, undefinedIfMissing, withTimeout } from '../upstream';

/** Pages one list may take before it is deemed endless. */
const MAX_LIST_PAGES = 1_000;

/**
 * Reads and creates the few Kubernetes objects pg-backup needs, in one cluster. Only called with
 * names taken from a validated catalog target, never with names from a request.
 */
export class KubernetesGateway {
  private readonly shared = new Map<
    string,
    { at: number; value: Promise<unknown> }
  >();
  private readonly batch: BatchV1Api;
  private readonly core: CoreV1Api;
  private readonly apps: AppsV1Api;
  private readonly logs: Log;

  constructor(
    readonly cluster: ClusterConfig,
    private readonly timeoutMs: number,
    private readonly sharedTtlMs = 0,
    kubeConfig: KubeConfig = ClusterRegistry.kubeConfig(cluster),
  ) {
    this.batch = kubeConfig.makeApiClient(BatchV1Api);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.apps = kubeConfig.makeApiClient(AppsV1Api);
    this.logs = new Log(kubeConfig);
  }

  /** Requests sent so far (for the benchmark's calls-per-refresh figure). */
  calls = 0;

  private call<T>(what: string, request: () => Promise<T>): Promise<T> {
    this.calls++;
    return withTimeout(
      `cluster ${this.cluster.name}: ${what}`,
      this.timeoutMs,
      request().catch(error => {
        throw describeKubernetesError(this.cluster.name, what, error);
      }),
    );
  }

  /**
   * Every item of a list, page by page: an API server may answer a list in chunks (it sets
   * `metadata.continue`), and a list read as its first page only would be taken for the whole.
   * A token seen before, or too many pages, is an error rather than an endless read; an object
   * listed twice (pages of an inconsistent server) counts once.
   */
  private async listAll<
    T extends { metadata?: { uid?: string; name?: string } },
  >(
    what: string,
    page: (
      token: string | undefined,
    ) => Promise<{ items: T[]; metadata?: { _continue?: string } }>,
  ): Promise<T[]> {
    const items = new Map<string, T>();
    const seen = new Set<string>();
    let token: string | undefined;
    for (;;) {
      const current = token;
      const list = await this.call(what, () => page(current));
      for (const item of list.items)
        items.set(item.metadata?.uid ?? item.metadata?.name ?? '', item);
      const next = list.metadata?._continue;
      if (!next) return [...items.values()];
      if (seen.has(next) || seen.size >= MAX_LIST_PAGES)
        throw new UpstreamError(
          `cluster ${this.cluster.name}: ${what} did not end: ${
            seen.has(next)
              ? 'the API server returned a continue token it had already returned'
              : `more than ${MAX_LIST_PAGES} pages`
          }`,
        );
      seen.add(next);
      token = next;
    }
  }

  /**
   * A namespace-wide read shared by every database in the namespace for `sharedTtlMs` (and by
   * concurrent callers), so a fleet refresh costs one call per namespace, not per database.
   * Actions never use it: they read fresh.
   */
  private sharedRead<T>(key: string, read: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const hit = this.shared.get(key);
    if (hit && now - hit.at < this.sharedTtlMs) return hit.value as Promise<T>;
    const value = read();
    this.shared.set(key, { at: now, value });
    value.catch(() => this.shared.delete(key));
    if (this.shared.size > 10_000)
      this.shared.delete(this.shared.keys().next().value!);
    return value;
  }

  /** CronJobs of a namespace, shared for a short while (health reads). */
  listCronJobsShared(namespace: string): Promise<V1CronJob[]> {
    return this.sharedRead(`cronjobs/${namespace}`, () =>
      this.listAll(`list cronjobs in ${namespace}`, token =>
        this.batch.listNamespacedCronJob({ namespace, _continue: token }),
      ),
    );
  }

  /** Jobs of a namespace, shared for a short while (health reads). */
  listJobsShared(namespace: string): Promise<V1Job[]> {
    return this.sharedRead(`jobs/${namespace}`, () => this.listJobs(namespace));
  }

  /** A Secret's creation time, shared for a short while (health reads). */
  getSecretCreationShared(
    namespace: string,
    name: string,
  ): Promise<string | undefined> {
    return this.sharedRead(`secret/${namespace}/${name}`, () =>
      this.getSecretCreation(namespace, name),
    );
  }

  /** One CronJob, or undefined when it does not exist. */
  getCronJob(namespace: string, name: string): Promise<V1CronJob | undefined> {
    return undefinedIfMissing(() =>
      this.call(`get cronjob ${namespace}/${name}`, () =>
        this.batch.readNamespacedCronJob({ namespace, name }),
      ),
    );
  }

  /** Jobs in a namespace (one list call; the namespace keeps only its CronJobs' history limits). */
  listJobs(namespace: string, labelSelector?: string): Promise<V1Job[]> {
    return this.listAll(
      `list jobs in ${namespace}${labelSelector ? ` (${labelSelector})` : ''}`,
      token =>
        this.batch.listNamespacedJob({
          namespace,
          labelSelector,
          _continue: token,
        }),
    );
  }

  /** One Job, or undefined when it does not exist. */
  getJob(namespace: string, name: string): Promise<V1Job | undefined> {
    return undefinedIfMissing(() =>
      this.call(`get job ${namespace}/${name}`, () =>
        this.batch.readNamespacedJob({ namespace, name }),
      ),
    );
  }

  /** Creates a Job; a name conflict surfaces as an UpstreamError with status 409. */
  async createJob(namespace: string, job: V1Job): Promise<V1Job> {
    return this.call(`create job in ${namespace}`, () =>
      this.batch.createNamespacedJob({ namespace, body: job }),
    );
  }

  /**
   * Ends a running Job the way Kubernetes ends one past its deadline: `activeDeadlineSeconds`
   * becomes 1, so the Job controller fails it (DeadlineExceeded) and sends its pod SIGTERM. The Job
   * stays, with its failure, as evidence; only `patch` on Jobs is needed, not `delete`.
   */
  async stopJob(namespace: string, name: string): Promise<void> {
    await this.call(`stop job ${namespace}/${name}`, () =>
      this.batch.patchNamespacedJob({
        namespace,
        name,
        body: [{ op: 'add', path: '/spec/activeDeadlineSeconds', value: 1 }],
      }),
    );
  }

  /** The replica count a Deployment asks for, read through its scale subresource. */
  async getDeploymentReplicas(
    namespace: string,
    name: string,
  ): Promise<{ desired: number; current: number }> {
    const scale = await this.call(
      `get scale of deployment ${namespace}/${name}`,
      () => this.apps.readNamespacedDeploymentScale({ namespace, name }),
    );
    return {
      desired: scale.spec?.replicas ?? 0,
      current: scale.status?.replicas ?? 0,
    };
  }

  /** Sets a Deployment's replica count through its scale subresource (`kubectl scale`). */
  async scaleDeployment(
    namespace: string,
    name: string,
    replicas: number,
  ): Promise<void> {
    await this.call(
      `scale deployment ${namespace}/${name} to ${replicas}`,
      () =>
        this.apps.replaceNamespacedDeploymentScale({
          namespace,
          name,
          body: {
            apiVersion: 'autoscaling/v1',
            kind: 'Scale',
            metadata: { name, namespace },
            spec: { replicas },
          },
        }),
    );
  }

  /** Pods matching a label selector (e.g. the database server's pods). */
  listPods(namespace: string, labelSelector: string): Promise<V1Pod[]> {
    return this.listAll(`list pods in ${namespace} (${labelSelector})`, token =>
      this.core.listNamespacedPod({
        namespace,
        labelSelector,
        _continue: token,
      }),
    );
  }

  /** Pods of one Job (by the `job-name` label Kubernetes sets). */
  listJobPods(namespace: string, job: string): Promise<V1Pod[]> {
    return this.listAll(`list pods of job ${namespace}/${job}`, token =>
      this.core.listNamespacedPod({
        namespace,
        labelSelector: `job-name=${job}`,
        _continue: token,
      }),
    );
  }

  /** The last lines of a pod's container log. */
  async readLogTail(
    namespace: string,
    pod: string,
    container: string,
    tailLines: number,
  ): Promise<string> {
    return this.call(`read log of pod ${namespace}/${pod}`, () =>
      this.core.readNamespacedPodLog({
        namespace,
        name: pod,
        container,
        tailLines,
        timestamps: true,
      }),
    );
  }

  /** Follows a pod's container log into `out` until the container stops or `signal` aborts. */
  async followLog(
    namespace: string,
    pod: string,
    container: string,
    tailLines: number,
    out: Writable,
    signal: AbortSignal,
  ): Promise<void> {
    const through = new PassThrough();
    through.pipe(out, { end: false });
    const ended = new Promise<void>(resolve => through.on('end', resolve));
    const abort = await this.call(`follow log of pod ${namespace}/${pod}`, () =>
      this.logs.log(namespace, pod, container, through, {
        follow: true,
        tailLines,
        timestamps: true,
      }),
    );
    const stop = () => abort.abort();
    signal.addEventListener('abort', stop);
    try {
      await Promise.race([
        ended,
        new Promise<void>(resolve =>
          signal.addEventListener('abort', () => resolve()),
        ),
      ]);
    } finally {
      signal.removeEventListener('abort', stop);
      through.unpipe(out);
    }
  }

  /** A Secret's metadata (never its data: only the creation time is read). */
  async getSecretCreation(
    namespace: string,
    name: string,
  ): Promise<string | undefined> {
    const secret = await undefinedIfMissing(() =>
      this.call(`get secret ${namespace}/${name}`, () =>
        this.core.readNamespacedSecret({ namespace, name }),
      ),
    );
    const created = secret?.metadata?.creationTimestamp;
    return created ? new Date(created).toISOString() : undefined;
  }
}

function describeKubernetesError(
  cluster: string,
  what: string,
  error: unknown,
): UpstreamError {
  if (error instanceof UpstreamError) return error;
  if (error instanceof ApiException) {
    let message = '';
    try {
      const body =
        typeof error.body === 'string' ? JSON.parse(error.body) : error.body;
      message = body?.message ?? '';
    } catch {
      message = String(error.body ?? '').slice(0, 200);
    }
    return new UpstreamError(
      `cluster ${cluster}: ${what} failed with HTTP ${error.code}${
        message ? `: ${message}` : ''
      }`,
      error.code,
    );
  }
  if (error instanceof SyntaxError) {
    // The cluster answered, but its body did not parse: cut short or corrupted on the way. The
    // parser's message is left out: it may quote a piece of the body (a Secret's, say).
    return new UpstreamError(
      `cluster ${cluster}: ${what} failed: the answer was not complete JSON (cut short or corrupted on the way)`,
    );
  }
  const cause = error as {
    message?: string;
    code?: string;
    cause?: { code?: string; message?: string };
  };
  const detail =
    cause.cause?.code ??
    cause.code ??
    cause.cause?.message ??
    cause.message ??
    String(error);
  return new UpstreamError(
    `cluster ${cluster} unreachable: ${what} failed (${detail})`,
  );
}
