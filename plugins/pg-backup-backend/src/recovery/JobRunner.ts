import { CustomErrorBase } from '@backstage/errors';
import { V1Job, V1Pod } from '@kubernetes/client-node';
import { iso, toJobFacts } from '../jobs/jobSummaries';
import { KubernetesGateway } from '../kubernetes/KubernetesGateway';
import { UpstreamError, isStackFrame, withoutStackFrames } from '../upstream';

/** How a Job ended, with what its container said. */
export interface JobOutcome {
  /** The Job's name. */
  job: string;
  succeeded: boolean;
  /** The Job's failure condition (`DeadlineExceeded`, `BackoffLimitExceeded`), if it failed. */
  failureReason?: string;
  /** The container's exit code. */
  exitCode?: number;
  /** The container's termination message. */
  message?: string;
  /** The last lines of its log, read when there is no termination message. */
  logTail?: string;
  /** When the engine saw the Job finished (ms since the epoch). */
  observedAt: number;
}

/** Thrown out of a wait when the operation was cancelled; the Job has been stopped. */
export class OperationCancelled extends CustomErrorBase {
  name = 'OperationCancelled' as const;

  constructor(message = 'cancelled') {
    super(message);
  }
}

/** Thrown out of a wait when this backend gave the operation up (shutdown, lost lease). */
export class RunnerAbandoned extends CustomErrorBase {
  name = 'RunnerAbandoned' as const;

  constructor() {
    super('the backend running the operation stopped');
  }
}

/** What a wait watches besides the Job. */
export interface JobWatch {
  /** True once the operation was cancelled: the Job is stopped and the wait throws OperationCancelled. */
  cancelled(): Promise<boolean>;
  /** True once this backend gave the operation up: the wait throws RunnerAbandoned at once. */
  abandoned(): boolean;
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

function newestPod(pods: V1Pod[]): V1Pod | undefined {
  const created = (pod: V1Pod) => iso(pod.metadata?.creationTimestamp) ?? '';
  return [...pods].sort((a, b) => created(b).localeCompare(created(a)))[0];
}

/** How a Job is followed. */
export interface FollowOptions {
  /**
   * The Job is harmless to leave running (dropping a scratch database): while the cluster denies
   * reading it (401/403), it is still followed up to the outage tolerance, and it is not stopped
   * when it can no longer be followed.
   */
  harmless?: boolean;
}

/** Whether a pod's containers may still run: not yet ended, or being deleted but still listed. */
const podMayRun = (pod: V1Pod) =>
  pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed';

/** Runs an operation's Jobs: creates one, follows it to its end, reads what its container said. */
export class JobRunner {
  constructor(
    private readonly pollIntervalMs: number,
    /** How long a cluster may stay unreachable (or answer 5xx) before a Job is given up. */
    private readonly unreachableToleranceMs = 120_000,
  ) {}

  /**
   * Runs a call, retrying while the cluster is unreachable, times out or answers 5xx, up to
   * `unreachableToleranceMs`. A Job goes on running while the cluster cannot be read: giving
   * it up at the first failed read would end the operation (releasing its lock, scaling the
   * application back up) while the Job still writes into the database. With `throughDenials`,
   * answers 401 and 403 are waited out the same way (an authorizer that fails for a moment).
   */
  async throughOutages<T>(
    call: () => Promise<T>,
    watch?: JobWatch,
    throughDenials = false,
  ): Promise<T> {
    let giveUpAt: number | undefined;
    let delayMs = this.pollIntervalMs;
    for (;;) {
      if (watch?.abandoned()) throw new RunnerAbandoned();
      try {
        return await call();
      } catch (error) {
        const transient =
          error instanceof UpstreamError &&
          (error.status === undefined ||
            error.status === 429 ||
            error.status >= 500 ||
            (throughDenials && (error.status === 401 || error.status === 403)));
        giveUpAt ??= Date.now() + this.unreachableToleranceMs;
        if (!transient || Date.now() >= giveUpAt) throw error;
        await sleep(delayMs);
        delayMs = Math.min(delayMs * 2, 2_000);
      }
    }
  }

  /**
   * Creates the Job (adopting the Job of an earlier attempt with the same name) and waits until
   * it finishes. When the watch reports a cancellation the Job is stopped and, once it ended,
   * OperationCancelled is thrown.
   */
  async run(
    k8s: KubernetesGateway,
    job: V1Job,
    watch: JobWatch,
    { harmless = false }: FollowOptions = {},
  ): Promise<JobOutcome> {
    const namespace = job.metadata!.namespace!;
    const name = job.metadata!.name!;
    // A create whose answer was lost may have created the Job: the retry then adopts it (409).
    await this.throughOutages(
      async () => {
        try {
          await k8s.createJob(namespace, job);
        } catch (error) {
          if (!(error instanceof UpstreamError && error.status === 409))
            throw error;
        }
      },
      watch,
      harmless,
    );
    let stopping = false;
    for (;;) {
      if (watch.abandoned()) throw new RunnerAbandoned();
      let current: V1Job | undefined;
      try {
        current = await this.throughOutages(
          () => k8s.getJob(namespace, name),
          watch,
          harmless,
        );
      } catch (error) {
        // A Job that can no longer be followed is stopped (best effort), not left running
        // unwatched after its operation ended.
        if (!harmless && !(error instanceof RunnerAbandoned))
          await k8s.stopJob(namespace, name).catch(() => undefined);
        throw error;
      }
      if (!current)
        throw new Error(
          `job ${namespace}/${name} disappeared before it finished`,
        );
      if (toJobFacts(current).state !== 'running') {
        const outcome = await this.outcome(k8s, current);
        if (stopping)
          throw new OperationCancelled(
            `cancelled: job ${name} was stopped${
              outcome.succeeded ? ' after it had finished' : ''
            }`,
          );
        return outcome;
      }
      if (!stopping && (await watch.cancelled())) {
        stopping = true;
        await this.throughOutages(() => k8s.stopJob(namespace, name), watch);
      }
      await sleep(this.pollIntervalMs);
    }
  }

  /**
   * Waits until no pod of a Job can still run: a stopped Job is marked failed while Kubernetes
   * still terminates its pods (a grace period after SIGTERM), and a restore finishing in that
   * window could create a database after the operation dropped it. Waits through outages and
   * denials up to the outage tolerance; false when that could not be confirmed.
   */
  async untilPodsEnded(
    k8s: KubernetesGateway,
    namespace: string,
    job: string,
    watch: JobWatch,
  ): Promise<boolean> {
    const giveUpAt = Date.now() + this.unreachableToleranceMs;
    for (;;) {
      let pods: V1Pod[];
      try {
        pods = await this.throughOutages(
          () => k8s.listJobPods(namespace, job),
          watch,
          true,
        );
      } catch (error) {
        if (error instanceof RunnerAbandoned) throw error;
        return false;
      }
      if (!pods.some(podMayRun)) return true;
      if (Date.now() >= giveUpAt) return false;
      if (watch.abandoned()) throw new RunnerAbandoned();
      await sleep(this.pollIntervalMs);
    }
  }

  /** The end of a finished Job, with its container's termination message or log tail. */
  async outcome(k8s: KubernetesGateway, job: V1Job): Promise<JobOutcome> {
    const observedAt = Date.now();
    const namespace = job.metadata!.namespace!;
    const name = job.metadata!.name!;
    const facts = toJobFacts(job);
    const failed = job.status?.conditions?.find(
      c => c.type === 'Failed' && c.status === 'True',
    );
    let pod: V1Pod | undefined;
    try {
      pod = newestPod(
        await this.throughOutages(() => k8s.listJobPods(namespace, name)),
      );
    } catch {
      pod = undefined;
    }
    const containers = pod?.spec?.containers ?? [];
    const container = containers.find(c => c.name === 'agent') ?? containers[0];
    const status =
      pod?.status?.containerStatuses?.find(s => s.name === container?.name) ??
      pod?.status?.containerStatuses?.[0];
    const terminated =
      status?.state?.terminated ?? status?.lastState?.terminated;
    const message = terminated?.message?.trim() || undefined;
    let logTail: string | undefined;
    if (pod && !message) {
      try {
        logTail = await this.throughOutages(() =>
          k8s.readLogTail(
            namespace,
            pod!.metadata!.name!,
            container?.name ?? '',
            20,
          ),
        );
      } catch {
        logTail = undefined;
      }
    }
    return {
      job: name,
      succeeded: facts.state === 'succeeded',
      ...(failed?.reason && { failureReason: failed.reason }),
      ...(terminated?.exitCode !== undefined && {
        exitCode: terminated.exitCode,
      }),
      ...(message && { message }),
      ...(logTail && { logTail }),
      observedAt,
    };
  }
}

/** The last meaningful line a Job's container left, without the log's timestamp. */
export function lastWords(outcome: JobOutcome): string | undefined {
  // A container that crashed leaves a stack trace last: its frames are not words.
  if (outcome.message)
    return withoutStackFrames(outcome.message).split('\n').pop()?.trim();
  return (outcome.logTail ?? '')
    .split('\n')
    .map(l => l.replace(/^\d{4}-\d\d-\d\dT\S+\s/, '').trim())
    .filter(l => l && !isStackFrame(l))
    .pop();
}

/** Why a Job failed, in one line. */
export function describeJobFailure(outcome: JobOutcome): string {
  const said = lastWords(outcome);
  const reason =
    outcome.failureReason === 'DeadlineExceeded'
      ? 'it ran past its deadline'
      : `exit code ${outcome.exitCode ?? 'unknown'}`;
  return `job ${outcome.job} failed (${reason})${said ? `: ${said}` : ''}`;
}
