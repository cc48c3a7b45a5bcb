import {
  AuditorService,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  CompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  InputError,
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
  isError,
} from '@backstage/errors';
import {
  BackupEntry,
  BackupPage,
  FleetResponse,
  HealthStatus,
  StoragePolicy,
  checkBackupKey,
  pgBackupFleetReadPermission,
  pgBackupLogsReadPermission,
  pgBackupReadPermission,
  pgBackupTriggerPermission,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import express, { Request } from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { HealthSnapshotStore } from '../database/HealthSnapshotStore';
import { RecoveryRecordStore } from '../database/RecoveryRecordStore';
import { BackupFactsReader } from '../health/BackupFactsReader';
import { HealthService } from '../health/HealthService';
import { BackupJobs, MAX_TAIL_LINES } from '../jobs/BackupJobs';
import { BackupStorage } from '../storage/BackupStorage';
import { UpstreamError } from '../upstream';
import { EntityTargets } from './EntityTargets';
import { pageLimit, parse } from './parseRequest';
import { RecoveryRouterOptions, createRecoveryRouter } from './recoveryRouter';
import {
  EntityPermission,
  RequestAuthorizer,
  requesterOf,
} from './RequestAuthorizer';

const DAY_MS = 86_400_000;
const STATUSES = ['healthy', 'warning', 'critical', 'unknown'] as const;

/** Everything the router calls. */
export interface RouterOptions {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  auditor: AuditorService;
  targets: EntityTargets;
  health: HealthService;
  facts: BackupFactsReader;
  jobs: BackupJobs;
  storage: BackupStorage;
  records: RecoveryRecordStore;
  snapshots: HealthSnapshotStore;
  /** Waits for the first fleet refresh when no snapshot exists yet. */
  ensureSnapshots: () => Promise<void>;
  /** The recovery engine, approvals and drills (routes in recoveryRouter.ts). */
  recovery: Omit<RecoveryRouterOptions, 'authorizer' | 'auditor'>;
  now?: () => Date;
}

const listOf = (value: unknown) =>
  (Array.isArray(value) ? value : [value])
    .filter((v): v is string => typeof v === 'string')
    .flatMap(v => v.split(','))
    .map(v => v.trim())
    .filter(Boolean);

const fleetQuery = z.object({
  owner: z.unknown().optional(),
  system: z.unknown().optional(),
  status: z.unknown().optional(),
});

const backupsQuery = z.object({
  limit: pageLimit,
  cursor: z
    .string()
    .max(1024, 'cursor is longer than 1024 characters')
    .optional(),
});

const logsQuery = z.object({
  tailLines: z.coerce
    .number({ invalid_type_error: 'tailLines must be a number' })
    .int('tailLines must be a whole number')
    .min(0, 'tailLines must be at least 0')
    .max(MAX_TAIL_LINES, `tailLines must be at most ${MAX_TAIL_LINES}`)
    .default(200),
  pod: z.string().max(253, 'pod is longer than 253 characters').optional(),
  follow: z
    .enum(['true', 'false'], {
      errorMap: () => ({ message: "follow must be 'true' or 'false'" }),
    })
    .optional(),
});

/** The refusals a read is audited for, with their status. */
const REFUSALS: Record<string, number> = {
  InputError: 400,
  NotAllowedError: 403,
  NotFoundError: 404,
};

/** The HTTP API of pg-backup (see `src/schema/openapi.yaml`). */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { httpAuth, permissions, auditor, targets } = options;
  const now = options.now ?? (() => new Date());
  const router = Router();
  router.use(express.json({ limit: '16kb' }));

  const authorizer = new RequestAuthorizer(httpAuth, permissions, targets);
  // These routes act for people. Backstage's permission client allows every permission to a
  // service principal, so services are refused here, except trusted ones reading Job logs (the
  // scaffolder follows the Jobs of the operations it started).
  const authorized = (req: Request, permission: EntityPermission) =>
    authorizer.entity(req, permission, ['user']);

  const entityRefOf = (req: Request): CompoundEntityRef =>
    EntityTargets.parseRef(
      req.params.kind,
      req.params.namespace,
      req.params.name,
    );

  router.get('/fleet', async (req, res) => {
    const credentials = await authorizer.basic(
      req,
      pgBackupFleetReadPermission,
      ['user'],
    );
    const query = parse(fleetQuery, req.query);
    const statuses = listOf(query.status);
    for (const status of statuses)
      if (!(STATUSES as readonly string[]).includes(status))
        throw new InputError(
          `status "${status.slice(0, 40)}" is not one of ${STATUSES.join(
            ', ',
          )}`,
        );
    await options.ensureSnapshots();
    let items = await options.snapshots.list({
      owners: listOf(query.owner),
      systems: listOf(query.system),
      statuses: statuses as HealthStatus[],
    });
    // Only databases the caller may read, decided per entity (conditional rules included), in
    // batches the permission backend accepts (its request body limit is 100 kB).
    const allowed = await authorizer.allowed(
      credentials,
      pgBackupReadPermission,
      items.map(i => i.entityRef),
    );
    items = items.filter((_, i) => allowed[i]);
    const rank: Record<HealthStatus, number> = {
      critical: 0,
      unknown: 1,
      warning: 2,
      healthy: 3,
    };
    items.sort(
      (a, b) =>
        rank[a.status] - rank[b.status] ||
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
    const body: FleetResponse = {
      items,
      counts,
      ...(refreshedAt && { refreshedAt }),
    };
    res.json(body);
  });

  router.get('/entities/:kind/:namespace/:name/health', async (req, res) => {
    const { target } = await authorized(req, pgBackupReadPermission);
    res.json(await options.health.get(target));
  });

  router.get('/entities/:kind/:namespace/:name/backups', async (req, res) => {
    const query = parse(backupsQuery, req.query);
    const { target } = await authorized(req, pgBackupReadPermission);
    if (query.cursor !== undefined) {
      const problem = checkBackupKey(query.cursor, target.storage.prefix);
      if (problem) throw new InputError(`cursor: ${problem}`);
    }
    const at = now();
    const page = await options.storage.listPage({
      target,
      now: at,
      before: query.cursor,
      limit: query.limit,
      notBefore: new Date(
        at.getTime() - target.objectives.retentionMs - 366 * DAY_MS,
      ),
    });
    const [manifests, verified] = await Promise.all([
      Promise.all(
        page.items.map(b =>
          b.complete
            ? options.storage.readManifest(target.storage.bucket, b.key)
            : undefined,
        ),
      ),
      options.records.verificationsOf(
        target.entityRef,
        page.items.map(b => b.key),
      ),
    ]);
    const items: BackupEntry[] = page.items.map((b, i) => {
      const manifest = manifests[i];
      const passed = verified.get(b.key);
      let verification: BackupEntry['verification'] = 'unverified';
      if (passed !== undefined) verification = passed ? 'passed' : 'failed';
      return {
        key: b.key,
        role: b.role,
        size: b.size,
        takenAt: b.takenAt ?? b.lastModified,
        lastModified: b.lastModified,
        complete: b.complete,
        ...(manifest?.sha256 && { sha256: manifest.sha256 }),
        ...(manifest?.encryption && { encryption: manifest.encryption }),
        ...(manifest?.tableCount !== undefined && {
          tableCount: manifest.tableCount,
        }),
        ...(manifest?.flywayVersion !== undefined && {
          flywayVersion: manifest.flywayVersion,
        }),
        ...(manifest?.durationMs !== undefined && {
          durationMs: manifest.durationMs,
        }),
        verification,
      };
    });
    const body: BackupPage = {
      items,
      ...(page.more &&
        items.length > 0 && { nextCursor: items[items.length - 1].key }),
    };
    res.json(body);
  });

  router.post('/entities/:kind/:namespace/:name/backups', async (req, res) => {
    // Audited from the start, so refused attempts are recorded too.
    const event = await auditor.createEvent({
      eventId: 'backup-trigger',
      severityLevel: 'medium',
      request: req,
      meta: { entityRef: stringifyEntityRef(entityRefOf(req)) },
    });
    try {
      const { target, credentials } = await authorized(
        req,
        pgBackupTriggerPermission,
      );
      const requestedBy = requesterOf(credentials);
      const result = await options.jobs.trigger(target, requestedBy);
      options.health.invalidate(target.entityRef);
      await event.success({
        meta: {
          cluster: target.cluster,
          namespace: target.namespace,
          cronJob: target.backupCronJob,
          job: result.job,
        },
      });
      res.status(202).json(result);
    } catch (error) {
      await event.fail({ error: error as Error });
      throw error;
    }
  });

  router.get('/entities/:kind/:namespace/:name/jobs', async (req, res) => {
    const { target } = await authorized(req, pgBackupReadPermission);
    res.json(await options.jobs.list(target));
  });

  router.get('/entities/:kind/:namespace/:name/jobs/:job', async (req, res) => {
    const { target } = await authorized(req, pgBackupReadPermission);
    res.json(await options.jobs.get(target, req.params.job));
  });

  router.get(
    '/entities/:kind/:namespace/:name/jobs/:job/logs',
    async (req, res) => {
      const query = parse(logsQuery, req.query);
      const { target, credentials } = await authorizer.entity(
        req,
        pgBackupLogsReadPermission,
        ['user', 'service'],
      );
      const principal = credentials.principal as {
        type?: string;
        subject?: string;
      };
      if (
        principal.type === 'service' &&
        !options.recovery.trustedServices.includes(principal.subject ?? '')
      )
        throw new NotAllowedError(
          `service ${principal.subject} may not read job logs; only a person, or a service listed in pgBackup.recovery.trustedServices, may`,
        );
      const request = {
        job: req.params.job,
        pod: query.pod,
        tailLines: query.tailLines,
      };
      if (query.follow !== 'true') {
        const log = await options.jobs.readLog(target, request);
        res.setHeader('X-Pod-Name', log.pod);
        res.setHeader('Access-Control-Expose-Headers', 'X-Pod-Name');
        res.type('text/plain').send(log.text);
        return;
      }
      const abort = new AbortController();
      req.on('close', () => abort.abort());
      res.type('text/plain');
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.flushHeaders();
      await options.jobs.followLog(target, request, res, abort.signal);
      res.end();
    },
  );

  router.get('/entities/:kind/:namespace/:name/storage', async (req, res) => {
    const { target } = await authorized(req, pgBackupReadPermission);
    const at = now();
    const [settings, usage] = await Promise.all([
      options.facts.readBucketSettings(target, at),
      options.storage.usage(target, at, target.objectives.retentionMs),
    ]);
    const body: StoragePolicy = {
      bucket: target.storage.bucket,
      prefix: target.storage.prefix,
      endpoint: options.storage.endpoint,
      lifecycleRules: settings.rules,
      ...(settings.facts.expirationDays !== undefined && {
        expirationDays: settings.facts.expirationDays,
      }),
      ...(settings.facts.defaultEncryption && {
        defaultEncryption: settings.facts.defaultEncryption,
      }),
      versioning: settings.versioning,
      accessLogging: settings.accessLogging,
      objectCount: usage.objectCount,
      totalBytes: usage.totalBytes,
      windowDays: Math.round(target.objectives.retentionMs / DAY_MS),
    };
    res.json(body);
  });

  router.use(
    createRecoveryRouter({ ...options.recovery, authorizer, auditor }),
  );

  // Refused reads are audited too (every write audits itself): a crafted ref to another Job,
  // prefix or entity, or a read the caller may not make, leaves a trace.
  router.use(
    (
      error: unknown,
      req: Request,
      _res: express.Response,
      next: express.NextFunction,
    ) => {
      if (req.method !== 'GET' || !isError(error) || !REFUSALS[error.name]) {
        next(error);
        return;
      }
      auditor
        .createEvent({
          eventId: 'request-refused',
          severityLevel: 'low',
          request: req,
          meta: {
            route: req.originalUrl.slice(0, 500),
            status: REFUSALS[error.name],
          },
        })
        .then(event => event.fail({ error }))
        .then(
          () => next(error),
          () => next(error),
        );
    },
  );

  // Any other path under the plugin is a JSON 404 naming it, like every other refusal.
  router.use((req: Request) => {
    throw new NotFoundError(
      `pg-backup has no route ${req.method} ${req.path.slice(
        0,
        200,
      )}; its routes are listed in src/schema/openapi.yaml`,
    );
  });

  // A cluster or S3 failure on an action is the upstream's fault: 503 with the reason, not 500.
  // A path that is not valid percent-encoding (Express cannot decode it) is the caller's: 400.
  router.use(
    (
      error: unknown,
      _req: Request,
      _res: express.Response,
      next: express.NextFunction,
    ) => {
      if (error instanceof URIError) {
        next(
          new InputError(
            `a path parameter (kind, namespace, name, job or id) is not valid percent-encoding: ${error.message.slice(
              0,
              120,
            )}`,
          ),
        );
        return;
      }
      next(
        error instanceof UpstreamError
          ? new ServiceUnavailableError(error.message)
          : error,
      );
    },
  );

  return router;
}
