import { LoggerService } from '@backstage/backend-plugin-api';
import { CompoundEntityRef } from '@backstage/catalog-model';
import { PgBackupClient, PgBackupRequestError } from './PgBackupClient';

/** How many earlier lines are kept to recognise the overlap with the next tail. */
const REMEMBERED_LINES = 2000;

/**
 * The lines of `tail` not seen before, given the lines already printed. The backend answers
 * with the last N lines of the log, so consecutive tails overlap: the longest suffix of `seen`
 * that is a prefix of `tail` was printed already.
 */
export function newLogLines(seen: string[], tail: string[]): string[] {
  const max = Math.min(seen.length, tail.length);
  for (let overlap = max; overlap > 0; overlap--) {
    let matches = true;
    for (let i = 0; i < overlap; i++) {
      if (seen[seen.length - overlap + i] !== tail[i]) {
        matches = false;
        break;
      }
    }
    if (matches) return tail.slice(overlap);
  }
  return tail;
}

/**
 * Streams the logs of Kubernetes Jobs to a scaffolder task's log by polling the backend's logs
 * endpoint, printing each line once, prefixed with the Job name.
 */
export class JobLogStreamer {
  private readonly seen = new Map<string, string[]>();
  /** Jobs whose log cannot be read (no permission); reported once and skipped. */
  private readonly refused = new Set<string>();

  constructor(
    private readonly api: PgBackupClient,
    private readonly entity: CompoundEntityRef,
    private readonly logger: LoggerService,
    private readonly tailLines: number,
  ) {}

  /** Prints the Job's lines not printed yet. Never throws: logs are a convenience. */
  async poll(job: string): Promise<void> {
    if (this.refused.has(job)) return;
    let text: string;
    try {
      ({ text } = await this.api.getJobLog(this.entity, job, this.tailLines));
    } catch (error) {
      if (error instanceof PgBackupRequestError && error.statusCode === 404) {
        return; // The pod has not started yet.
      }
      this.refused.add(job);
      this.logger.warn(
        `The log of Job ${job} cannot be shown here: ${
          (error as Error).message
        }`,
      );
      return;
    }
    const tail = text.split(/\r?\n/);
    if (tail[tail.length - 1] === '') tail.pop();
    const seen = this.seen.get(job) ?? [];
    const fresh = newLogLines(seen, tail);
    for (const line of fresh) this.logger.info(`[${job}] ${line}`);
    this.seen.set(job, [...seen, ...fresh].slice(-REMEMBERED_LINES));
  }
}
