import {
  AuthService,
  LoggerService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  BackupHealth,
  DrillFacts,
  BackupObjectives,
  FleetEntry,
  JobFacts,
  PG_BACKUP_ANNOTATIONS,
  PG_BACKUP_MARKER_ANNOTATION,
  readBackupTarget,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import {
  HealthSnapshot,
  HealthSnapshotStore,
} from '../database/HealthSnapshotStore';
import { RecoveryRecordStore } from '../database/RecoveryRecordStore';
import { reasonOf } from '../upstream';
import { RecordsOfAll } from './BackupFactsReader';
import { HealthService } from './HealthService';
import { recheckTime } from './snapshotRecheck';

/** Databases rechecked by one run of the recheck task, at most (the rest wait for the next). */
const RECHECK_BATCH = 500;

/** Called with every fresh snapshot and the previous one (notifications, metrics). */
export type SnapshotListener = (
  snapshots: HealthSnapshot[],
  previous: ReadonlyMap<string, FleetEntry>,
) => Promise<void>;

const ENTITY_FIELDS = [
  'kind',
  'metadata.name',
  'metadata.namespace',
  'metadata.title',
  'metadata.annotations',
  'spec.owner',
  'spec.system',
];

/**
 * Re-evaluates every annotated database (a scheduled, cluster-wide task) and stores the results
 * as snapshots the fleet view and the metrics are served from. Works through the fleet with a
 * bounded number of databases in flight.
 */
export class FleetRefresher {
  private latest = new Map<string, HealthSnapshot>();
  private running: Promise<number> | undefined;
  private ready = false;

  constructor(
    private readonly deps: {
      catalog: CatalogService;
      auth: AuthService;
      health: HealthService;
      records: RecoveryRecordStore;
      store: HealthSnapshotStore;
      logger: LoggerService;
      defaults: BackupObjectives;
      concurrency: number;
      listeners: SnapshotListener[];
      now?: () => Date;
    },
  ) {}

  /** The snapshots of the last refresh, by entity ref. */
  get snapshots(): ReadonlyMap<string, HealthSnapshot> {
    return this.latest;
  }

  /** Every entity carrying the pg-backup marker annotation. */
  async annotatedEntities(): Promise<Entity[]> {
    const credentials = await this.deps.auth.getOwnServiceCredentials();
    const entities: Entity[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.deps.catalog.queryEntities(
        cursor
          ? { cursor, limit: 500, fields: ENTITY_FIELDS }
          : {
              filter: {
                [`metadata.annotations.${PG_BACKUP_MARKER_ANNOTATION}`]:
                  CATALOG_FILTER_EXISTS,
              },
              limit: 500,
              fields: ENTITY_FIELDS,
            },
        { credentials },
      );
      entities.push(...page.items);
      cursor = page.pageInfo.nextCursor;
    } while (cursor);
    return entities;
  }

  /**
   * Makes sure the fleet view has data: right after a first start (no snapshots stored yet) the
   * first fleet request waits for one refresh instead of showing an empty fleet.
   */
  async ensureSnapshots(): Promise<void> {
    if (this.ready) return;
    if ((await this.deps.store.list({ limit: 1 })).length > 0) {
      this.ready = true;
      return;
    }
    await this.refresh();
  }

  /**
   * Registers the scheduled refresh, `pg-backup-refresh-fleet-health`: a global task, so one
   * backend replica runs each refresh.
   */
  async schedule(
    scheduler: SchedulerService,
    timing: { intervalMs: number; initialDelayMs: number; timeoutMs: number },
  ): Promise<void> {
    await scheduler.scheduleTask({
      id: 'pg-backup-refresh-fleet-health',
      scope: 'global',
      frequency: { milliseconds: timing.intervalMs },
      // A replica killed in the middle of a refresh holds the task until this timeout; the
      // scheduler then frees it (its janitor runs every minute) and another replica refreshes.
      // A refresh that outlives it still finishes and stores its snapshots.
      timeout: { milliseconds: timing.timeoutMs },
      initialDelay: { milliseconds: timing.initialDelayMs },
      fn: async () => {
        await this.refresh();
      },
    });
  }

  /**
   * Registers `pg-backup-recheck-snapshots`, a global task that re-evaluates the databases whose
   * recheck time has come (a Job running, a scheduled run due, "Back up now" requested), so a
   * finished backup reaches the fleet within one interval instead of one refresh interval.
   */
  async scheduleRechecks(
    scheduler: SchedulerService,
    intervalMs: number,
  ): Promise<void> {
    await scheduler.scheduleTask({
      id: 'pg-backup-recheck-snapshots',
      scope: 'global',
      frequency: { milliseconds: intervalMs },
      timeout: { milliseconds: Math.max(4 * intervalMs, 60_000) },
      initialDelay: { milliseconds: intervalMs },
      fn: async () => {
        await this.recheckDue();
      },
    });
  }

  /** Re-evaluates the databases due for a recheck; returns how many were due. */
  async recheckDue(): Promise<number> {
    const now = this.now();
    const due = await this.deps.store.dueForRecheck(now, RECHECK_BATCH);
    let next = 0;
    const worker = async () => {
      while (next < due.length) {
        const entityRef = due[next++];
        try {
          if (!(await this.refreshOne(entityRef)))
            await this.deps.store.setRecheck(entityRef, undefined);
        } catch (error) {
          this.deps.logger.warn(
            `pg-backup: could not recheck ${entityRef}: ${reasonOf(error)}`,
          );
        }
      }
    };
    await Promise.all(
      Array.from(
        { length: Math.min(this.deps.concurrency, due.length) },
        worker,
      ),
    );
    return due.length;
  }

  /** Asks for a database to be rechecked by the next run of the recheck task. */
  async recheckSoon(entityRef: string): Promise<void> {
    await this.deps.store.setRecheck(entityRef, this.now());
  }

  /** Refreshes every snapshot (joining one in progress); returns how many databases were evaluated. */
  refresh(): Promise<number> {
    if (!this.running) {
      this.running = this.refreshNow().finally(() => {
        this.running = undefined;
      });
    }
    return this.running;
  }

  /**
   * Re-evaluates one database's snapshot now (after a drill or verification was recorded), so
   * the fleet shows it before the next scheduled refresh. Listeners are not called: episodes
   * and metrics follow the scheduled refreshes. Does nothing for an entity that is gone or no
   * longer annotated (the next refresh removes it); returns whether it evaluated.
   */
  async refreshOne(entityRef: string): Promise<boolean> {
    const credentials = await this.deps.auth.getOwnServiceCredentials();
    const entity = await this.deps.catalog.getEntityByRef(entityRef, {
      credentials,
    });
    if (!entity?.metadata.annotations?.[PG_BACKUP_MARKER_ANNOTATION])
      return false;
    const now = this.now();
    const snapshot = await this.snapshotOf(entity, now);
    await this.deps.store.upsert([snapshot]);
    if (this.latest.size > 0)
      this.latest = new Map(this.latest).set(snapshot.entityRef, snapshot);
    return true;
  }

  private async refreshNow(): Promise<number> {
    const began = Date.now();
    const entities = await this.annotatedEntities();
    // One evaluation instant for the whole fleet: snapshots are comparable, and databases that
    // share a bucket ask S3 the same question.
    const now = this.now();
    const records = await this.deps.records.latestOfAll();
    const snapshots: HealthSnapshot[] = new Array(entities.length);
    // Namespace by namespace: the databases of a namespace share its Kubernetes reads, which
    // live a few seconds; in catalog order a large fleet would read each namespace many times.
    const order = byNamespace(entities);
    let next = 0;
    const worker = async () => {
      while (next < order.length) {
        const index = order[next++];
        snapshots[index] = await this.snapshotOf(entities[index], now, records);
      }
    };
    await Promise.all(
      Array.from(
        { length: Math.min(this.deps.concurrency, entities.length) },
        worker,
      ),
    );
    // After a restart the previous state comes from the store, so episodes are not lost.
    const previous: ReadonlyMap<string, FleetEntry> = this.latest.size
      ? this.latest
      : new Map((await this.deps.store.list()).map(e => [e.entityRef, e]));
    await this.deps.store.upsert(snapshots);
    await this.deps.store.retainOnly(snapshots.map(s => s.entityRef));
    this.latest = new Map(snapshots.map(s => [s.entityRef, s]));
    this.ready = true;
    for (const listener of this.deps.listeners) {
      try {
        await listener(snapshots, previous);
      } catch (error) {
        this.deps.logger.warn(
          `pg-backup: snapshot listener failed: ${reasonOf(error)}`,
        );
      }
    }
    this.deps.logger.info(
      `pg-backup: refreshed health of ${snapshots.length} databases in ${
        Date.now() - began
      } ms`,
    );
    return snapshots.length;
  }

  private now(): Date {
    return this.deps.now ? this.deps.now() : new Date();
  }

  private async snapshotOf(
    entity: Entity,
    now: Date,
    records?: RecordsOfAll,
  ): Promise<HealthSnapshot> {
    const entityRef = stringifyEntityRef(entity);
    const spec = (entity.spec ?? {}) as { owner?: string; system?: string };
    const base = {
      entityRef,
      title: entity.metadata.title ?? entity.metadata.name,
      ...(spec.owner && { owner: qualify(spec.owner, 'group', entity) }),
      ...(spec.system && { system: qualify(spec.system, 'system', entity) }),
    };
    const result = readBackupTarget(entity, this.deps.defaults);
    let health: BackupHealth;
    let lastDrill: DrillFacts | undefined;
    let jobs: JobFacts[] = [];
    if (!result.ok) {
      health = unknownHealth(
        `Invalid pg-backup annotations: ${result.problems
          .map(p => p.message)
          .join('; ')}`,
        now,
        'annotations',
      );
    } else {
      try {
        const evaluated = await this.deps.health.evaluateWithJobs(
          result.target,
          now,
          records,
        );
        health = evaluated.response.health;
        lastDrill = evaluated.response.lastDrill;
        jobs = evaluated.jobs;
      } catch (error) {
        health = unknownHealth(`Could not evaluate: ${reasonOf(error)}`, now);
      }
    }
    const recheckAt = recheckTime(health, jobs);
    return {
      ...base,
      status: health.status,
      summary: health.summary,
      ...(health.recoveryPoint && {
        recoveryPointTime: health.recoveryPoint.time,
      }),
      ...(health.rpoMet !== undefined && { rpoMet: health.rpoMet }),
      findingCodes: health.findings.map(f => f.code),
      ...(lastDrill && { lastDrillTime: lastDrill.performedAt, lastDrill }),
      ...(health.recoveryPoint && {
        lastBackupSize: health.recoveryPoint.size,
      }),
      ...(result.ok && {
        rpoMs: result.target.objectives.rpoMs,
        rtoMs: result.target.objectives.rtoMs,
      }),
      evaluatedAt: health.evaluatedAt,
      ...(recheckAt && { recheckAt }),
      health,
    };
  }
}

/** Health that could not be evaluated: unknown, with the reason as its only finding. */
function unknownHealth(
  message: string,
  now: Date,
  subject?: string,
): BackupHealth {
  return {
    status: 'unknown',
    summary: message,
    missedRuns: 0,
    findings: [
      {
        code: 'fact-unavailable',
        severity: 'unknown',
        ...(subject && { subject }),
        message,
      },
    ],
    evaluatedAt: now.toISOString(),
  };
}

/** Completes a relation target (`platform-team`) to a full ref (`group:default/platform-team`). */
function qualify(ref: string, defaultKind: string, entity: Entity): string {
  return stringifyEntityRef(
    parseEntityRef(ref, {
      defaultKind,
      defaultNamespace: entity.metadata.namespace ?? 'default',
    }),
  );
}

/** The indexes of `entities`, grouped by the cluster and namespace their annotations name. */
export function byNamespace(entities: Entity[]): number[] {
  const place = (entity: Entity) => {
    const annotations = entity.metadata.annotations ?? {};
    return `${annotations[PG_BACKUP_ANNOTATIONS.cluster] ?? ''}\u0000${
      annotations[PG_BACKUP_ANNOTATIONS.namespace] ?? ''
    }`;
  };
  const places = entities.map(place);
  const compare = (a: number, b: number) => {
    if (places[a] !== places[b]) return places[a] < places[b] ? -1 : 1;
    return a - b;
  };
  return entities.map((_, index) => index).sort(compare);
}
