import { ServiceUnavailableError } from '@backstage/errors';

/** The default of `pgBackup.scaffolder.maxWaitingApprovals`. */
export const DEFAULT_MAX_WAITING_APPROVALS = 5;

/**
 * Caps how many scaffolder tasks of this backend instance wait for an approval at once. A
 * waiting task holds one of the instance's scaffolder worker slots (`scaffolder.concurrentTasksLimit`)
 * for as long as approvers take, so without a cap a few pending requests could starve every
 * other template.
 */
export class ApprovalWaitSlots {
  private readonly holders = new Set<string>();

  constructor(readonly max: number = DEFAULT_MAX_WAITING_APPROVALS) {
    if (!Number.isInteger(max) || max < 1) {
      throw new Error(
        `pgBackup.scaffolder.maxWaitingApprovals must be a whole number of at least 1, got ${max}`,
      );
    }
  }

  /** How many tasks wait now. */
  get waiting(): number {
    return this.holders.size;
  }

  /** Throws the refusal when no slot is free (without taking one). */
  assertAvailable(holder?: string): void {
    if (holder !== undefined && this.holders.has(holder)) return;
    if (this.holders.size >= this.max) {
      throw new ServiceUnavailableError(
        `${this.holders.size} scaffolder tasks on this backend instance already wait for approvals, the most allowed (pgBackup.scaffolder.maxWaitingApprovals = ${this.max}). ` +
          'Waiting tasks hold scaffolder worker slots, so no more are started: ask an approver to decide the pending requests (Backups page, "Pending approvals") and run the template again.',
      );
    }
  }

  /** Takes a slot for `holder` (e.g. the task and step), or throws the refusal. Returns the release. */
  acquire(holder: string): () => void {
    this.assertAvailable(holder);
    this.holders.add(holder);
    return () => {
      this.holders.delete(holder);
    };
  }
}
