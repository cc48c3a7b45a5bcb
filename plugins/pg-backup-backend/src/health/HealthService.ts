import {
  BackupTarget,
  EntityHealthResponse,
  JobFacts,
  evaluateBackupHealth,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import { BackupFactsReader, RecordsOfAll } from './BackupFactsReader';

const MAX_ENTRIES = 5000;

/**
 * Evaluates one database's health, reusing a recent evaluation for `ttlMs` so cards and tabs do
 * not hit the cluster and S3 on every request. Concurrent requests share one evaluation.
 */
export class HealthService {
  private readonly cache = new Map<
    string,
    { at: number; value: Promise<EntityHealthResponse> }
  >();

  constructor(
    private readonly facts: BackupFactsReader,
    private readonly ttlMs: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The health of a target, from the cache when fresh. */
  get(target: BackupTarget): Promise<EntityHealthResponse> {
    const now = this.now();
    const cached = this.cache.get(target.entityRef);
    if (cached && now.getTime() - cached.at < this.ttlMs) return cached.value;
    const value = this.evaluate(target, now);
    this.cache.delete(target.entityRef);
    this.cache.set(target.entityRef, { at: now.getTime(), value });
    value.catch(() => this.cache.delete(target.entityRef));
    if (this.cache.size > MAX_ENTRIES) {
      this.cache.delete(this.cache.keys().next().value!);
    }
    return value;
  }

  /** Forgets the cached health of a target (after "back up now"). */
  invalidate(entityRef: string): void {
    this.cache.delete(entityRef);
  }

  /** Evaluates without the cache. */
  async evaluate(
    target: BackupTarget,
    now: Date = this.now(),
    records?: RecordsOfAll,
  ): Promise<EntityHealthResponse> {
    return (await this.evaluateWithJobs(target, now, records)).response;
  }

  /**
   * Evaluates without the cache and also returns the Jobs read (empty when they could not be
   * read): the fleet uses them to decide when to look again.
   */
  async evaluateWithJobs(
    target: BackupTarget,
    now: Date = this.now(),
    records?: RecordsOfAll,
  ): Promise<{ response: EntityHealthResponse; jobs: JobFacts[] }> {
    const input = await this.facts.read(target, now, records);
    const health = evaluateBackupHealth(input, now);
    const response: EntityHealthResponse = {
      entityRef: target.entityRef,
      health,
      partial: health.findings.some(f => f.code === 'fact-unavailable'),
      ...(input.latestDrill.known &&
        input.latestDrill.value && {
          lastDrillTime: input.latestDrill.value.performedAt,
          lastDrill: input.latestDrill.value,
        }),
      ...(input.latestVerification.known &&
        input.latestVerification.value && {
          lastVerification: input.latestVerification.value,
        }),
    };
    return { response, jobs: input.jobs.known ? input.jobs.value : [] };
  }
}
