import { KubernetesGateway } from '../kubernetes/KubernetesGateway';
import { reasonOf } from '../upstream';

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/**
 * Scales a database's dependent Deployments for an emergency recovery, through the scale
 * subresource only (`kubectl scale`): records their replica counts, scales them to 0 and waits
 * for their pods to stop, and scales them back to the recorded counts.
 */
export class DeploymentScaler {
  constructor(
    private readonly k8s: KubernetesGateway,
    private readonly namespace: string,
    private readonly options: { pollIntervalMs: number; timeoutMs: number },
  ) {}

  /** The replica count each Deployment asks for now. */
  async record(names: string[]): Promise<Record<string, number>> {
    const recorded: Record<string, number> = {};
    for (const name of names) {
      recorded[name] = (
        await this.k8s.getDeploymentReplicas(this.namespace, name)
      ).desired;
    }
    return recorded;
  }

  /** Scales every Deployment to 0 and waits until none has a replica left. */
  async scaleDown(names: string[], cancelled: () => Promise<boolean>) {
    for (const name of names)
      await this.k8s.scaleDeployment(this.namespace, name, 0);
    const deadline = Date.now() + this.options.timeoutMs;
    for (;;) {
      const left: string[] = [];
      for (const name of names) {
        const { current } = await this.k8s.getDeploymentReplicas(
          this.namespace,
          name,
        );
        if (current > 0) left.push(`${name} (${current})`);
      }
      if (left.length === 0) return;
      if (Date.now() > deadline)
        throw new Error(
          `Deployments still have replicas ${Math.round(
            this.options.timeoutMs / 1000,
          )} s after scaling to 0: ${left.join(', ')}`,
        );
      if (await cancelled()) return;
      await sleep(this.options.pollIntervalMs);
    }
  }

  /**
   * Scales every Deployment back to its recorded count. A failure is retried, backing off up to
   * 5 s, until the scale-down timeout has passed (and at least 3 times): a cluster that is
   * unreachable for a while must not leave the application scaled to 0, and the database's lock
   * stays held meanwhile. Returns the ones that could not be scaled back, with the command that
   * does it by hand.
   */
  async scaleBack(recorded: Record<string, number>): Promise<string[]> {
    const problems: string[] = [];
    const deadline = Date.now() + this.options.timeoutMs;
    for (const [name, replicas] of Object.entries(recorded)) {
      let lastError: unknown;
      let delayMs = 500;
      for (let attempt = 1; ; attempt++) {
        try {
          await this.k8s.scaleDeployment(this.namespace, name, replicas);
          lastError = undefined;
          break;
        } catch (error) {
          lastError = error;
          if (attempt >= 3 && Date.now() + delayMs > deadline) break;
          await sleep(delayMs);
          delayMs = Math.min(delayMs * 2, 5_000);
        }
      }
      if (lastError !== undefined)
        problems.push(
          `${name}: ${reasonOf(
            lastError,
          )} (scale it by hand: kubectl scale deployment ${name} --replicas=${replicas} -n ${
            this.namespace
          })`,
        );
    }
    return problems;
  }
}

/**
 * Checks the database server is up, as the QAWave runbook's emergency procedure does
 * (`kubectl get pods -l app.kubernetes.io/name=postgresql`): at least one matching pod must be
 * Running and Ready. Returns a description of what was found, or throws saying what is wrong.
 */
export async function checkPostgresRunning(
  k8s: KubernetesGateway,
  namespace: string,
  selector: string,
): Promise<string> {
  const pods = await k8s.listPods(namespace, selector);
  const ready = pods.filter(
    p =>
      p.status?.phase === 'Running' &&
      p.status?.conditions?.some(
        c => c.type === 'Ready' && c.status === 'True',
      ),
  );
  if (ready.length === 0)
    throw new Error(
      `PostgreSQL is not running: ${
        pods.length === 0
          ? 'no pod'
          : `none of ${pods.length} pods (${pods
              .map(p => `${p.metadata?.name} ${p.status?.phase ?? 'unknown'}`)
              .join(', ')}) is ready`
      } matches ${selector} in namespace ${namespace}; start the database server first`,
    );
  return `${ready
    .map(p => p.metadata?.name)
    .join(', ')} running and ready (${selector})`;
}
