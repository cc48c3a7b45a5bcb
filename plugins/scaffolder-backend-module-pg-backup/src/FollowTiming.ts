/** How the actions poll the backend while following operations, Jobs and approvals. */
export interface FollowTiming {
  /** Between two reads of an operation or a Job (default 2 s). */
  pollIntervalMs: number;
  /** Between two reads of a pending approval (default 5 s). */
  approvalPollIntervalMs: number;
  /** How long a cancelled operation is still followed to show its scale-back (default 60 s). */
  cancelGraceMs: number;
  /** Failed reads in a row tolerated before giving up, e.g. while the backend restarts (default 15). */
  maxConsecutiveFailures: number;
  /** Lines of a Job's log read per poll (default 500). */
  logTailLines: number;
  /** How long to look for the new backup object after its Job succeeded (default 30 s). */
  backupListingGraceMs: number;
}

/** The timing the module uses. */
export const DEFAULT_FOLLOW_TIMING: FollowTiming = {
  pollIntervalMs: 2_000,
  approvalPollIntervalMs: 5_000,
  cancelGraceMs: 60_000,
  maxConsecutiveFailures: 15,
  logTailLines: 500,
  backupListingGraceMs: 30_000,
};

/** Waits `ms`, or less if `signal` aborts first; never rejects. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    function onAbort() {
      clearTimeout(timer);
      resolve();
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
