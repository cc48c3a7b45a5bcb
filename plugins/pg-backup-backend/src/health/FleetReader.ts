import {
  FleetResponse,
  HealthStatus,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import {
  FleetFilter,
  HealthSnapshotStore,
} from '../database/HealthSnapshotStore';

/** Worst first: the order the fleet page lists databases in. */
const RANK: Record<HealthStatus, number> = {
  critical: 0,
  unknown: 1,
  warning: 2,
  healthy: 3,
};

/**
 * The fleet as a caller sees it: the stored health snapshots matching a filter, only those the
 * caller may read, worst first, with counts per status and the time of the newest evaluation.
 */
export class FleetReader {
  constructor(
    private readonly snapshots: HealthSnapshotStore,
    /** Waits for the first fleet refresh when no snapshot exists yet. */
    private readonly ensureSnapshots: () => Promise<void>,
  ) {}

  async read(
    filter: FleetFilter,
    /** Which of the entities the caller may read, in the same order. */
    visible: (entityRefs: string[]) => Promise<boolean[]>,
  ): Promise<FleetResponse> {
    await this.ensureSnapshots();
    const stored = await this.snapshots.list(filter);
    const allowed = await visible(stored.map(i => i.entityRef));
    const items = stored
      .filter((_, i) => allowed[i])
      .sort(
        (a, b) =>
          RANK[a.status] - RANK[b.status] ||
          a.entityRef.localeCompare(b.entityRef),
      );
    const counts: Record<HealthStatus, number> = {
      healthy: 0,
      warning: 0,
      critical: 0,
      unknown: 0,
    };
    for (const item of items) counts[item.status]++;
    const refreshedAt = items
      .map(i => i.evaluatedAt)
      .sort()
      .pop();
    return { items, counts, ...(refreshedAt && { refreshedAt }) };
  }
}
