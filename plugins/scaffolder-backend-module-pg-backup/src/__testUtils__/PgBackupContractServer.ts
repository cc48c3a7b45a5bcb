/*
 * A stand-in for the pg-backup backend's recovery, approval, backup and Job routes, serving the
 * contract in @pg-backup/backstage-plugin-pg-backup-common (src/api/recovery.ts, src/api/types.ts) on a real
 * HTTP server on 127.0.0.1, so the actions are tested over the wire: their tokens, bodies, error
 * bodies and polling. Operations advance one step per read, which keeps the tests deterministic.
 */
import http from 'node:http';
import { AddressInfo } from 'node:net';
import {
  ApprovalRequest,
  ApprovalRequestBody,
  BackupEntry,
  JobSummary,
  OperationPlan,
  RecoveryOperation,
  RecoveryOperationKind,
  StartOperationRequest,
  VerificationReport,
} from '@pg-backup/backstage-plugin-pg-backup-common';

/** One request as the server saw it. */
export interface RecordedRequest {
  method: string;
  path: string;
  body?: any;
  /** The user the token was issued on behalf of. */
  onBehalfOf?: string;
  /** The service whose own token it was (e.g. `plugin:scaffolder`), when not on a user's behalf. */
  service?: string;
  /** The plugin the token was issued for. */
  targetPluginId?: string;
}

/** How one step of a scripted operation behaves. */
export interface ScriptedStep {
  id: string;
  title: string;
  /** The step's Job, whose log the server serves. */
  job?: string;
  /** The Job's log lines. */
  logLines?: string[];
  /** The step fails with this detail. */
  failWith?: string;
  /** The step keeps running until the operation is cancelled. */
  hang?: boolean;
}

/** How an operation started on the server behaves. */
export interface OperationScript {
  steps: ScriptedStep[];
  /** The verification report's outcome (verify, drill, emergency and restore). */
  verificationPassed?: boolean;
  measuredRtoMs?: number;
  rtoObjectiveMs?: number;
  recordedReplicas?: Record<string, number>;
}

/** What happens to a new approval request while it is polled. */
export interface ApprovalScript {
  /** approve, reject, expire, or stay pending. */
  decision: 'approve' | 'reject' | 'expire' | 'never';
  /** Decided on this read (1 = the first read already sees the decision). */
  afterReads: number;
  by?: string;
  comment?: string;
}

interface ServedOperation {
  operation: RecoveryOperation;
  script: OperationScript;
  idempotencyKey?: string;
  /** Index of the step running now (-1 before the first). */
  cursor: number;
  cancelRequested: boolean;
  /** Log lines revealed so far, by Job. */
  revealed: Map<string, number>;
}

interface ServedJob {
  summary: JobSummary;
  reads: number;
  lines: string[];
  revealed: number;
}

/** The databases the server knows: entity ref → database name. */
const DATABASES: Record<string, string> = {
  'resource:default/qawave-postgresql': 'qawave',
  'resource:default/orders-postgresql': 'orders',
};

const DATABASE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const KINDS: RecoveryOperationKind[] = [
  'restore',
  'verify',
  'emergency',
  'drill',
];
const TARGET_KINDS = ['new-database', 'other-namespace', 'live'];

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly errorName: string,
    message: string,
  ) {
    super(message);
  }
}

const badRequest = (message: string) =>
  new HttpProblem(400, 'InputError', message);

/** The default script per kind, mirroring the steps the contract names. */
export function defaultScript(kind: RecoveryOperationKind): OperationScript {
  const restore: ScriptedStep = {
    id: 'restore',
    title: 'Restore the backup',
    job: `pg-restore-${kind}`,
    logLines: [
      'restore: downloading from S3',
      'restore: pg_restore --list ok (42 entries)',
      'restore: pg_restore done',
    ],
  };
  const verify: ScriptedStep = {
    id: 'verify',
    title: 'Verify against the manifest',
    job: `pg-verify-${kind}`,
    logLines: ['verify: 3 tables', 'verify: row counts match'],
  };
  switch (kind) {
    case 'emergency':
      return {
        steps: [
          { id: 'scale-down', title: 'Scale backend to 0 (was 2)' },
          { id: 'check-postgres', title: 'Check PostgreSQL is running' },
          restore,
          verify,
          { id: 'scale-back', title: 'Scale backend back to 2' },
        ],
        verificationPassed: true,
        recordedReplicas: { backend: 2 },
        measuredRtoMs: 95_000,
        rtoObjectiveMs: 4 * 3_600_000,
      };
    case 'drill':
      return {
        steps: [
          restore,
          verify,
          { id: 'cleanup', title: 'Drop the scratch database' },
          { id: 'record', title: 'Record the drill' },
        ],
        verificationPassed: true,
        measuredRtoMs: 192_000,
        rtoObjectiveMs: 4 * 3_600_000,
      };
    case 'verify':
      return {
        steps: [
          restore,
          verify,
          { id: 'cleanup', title: 'Drop the scratch database' },
        ],
        verificationPassed: true,
      };
    default:
      return { steps: [restore, verify], verificationPassed: true };
  }
}

function verificationReport(
  backupKey: string,
  database: string,
  passed: boolean,
): VerificationReport {
  return {
    backupKey,
    database,
    passed,
    checks: [
      { name: 'table-count', expected: 3, actual: 3, passed: true },
      {
        name: 'rows:public.invoices',
        expected: 1200,
        actual: passed ? 1200 : 1100,
        passed,
      },
    ],
    checkedAt: '2026-11-24T10:00:00.000Z',
  };
}

/** The pg-backup contract on a real HTTP server; see the file comment. */
export class PgBackupContractServer {
  readonly requests: RecordedRequest[] = [];
  readonly operations = new Map<string, ServedOperation>();
  readonly approvals = new Map<string, ApprovalRequest>();
  private readonly approvalReads = new Map<string, number>();
  private readonly approvalScripts = new Map<string, ApprovalScript>();
  readonly backups = new Map<string, BackupEntry[]>();
  readonly jobs = new Map<string, ServedJob>();

  /** The script of the next operations, by kind. */
  script: (kind: RecoveryOperationKind) => OperationScript = defaultScript;
  /** What happens to new approval requests. */
  approvalScript: ApprovalScript = { decision: 'approve', afterReads: 2 };
  /** Whether backup Jobs succeed. */
  backupJobFails = false;
  /** Answer every request with 503 this many more times (a restarting backend). */
  unavailableFor = 0;
  /**
   * Accept this many more tokens issued on a user's behalf, then refuse them with 401 as the
   * backend does once the initiator's token expired; undefined accepts them all.
   */
  userTokensLeft: number | undefined;
  /**
   * Services that may start an operation an approval covers and follow operations, as
   * `pgBackup.recovery.trustedServices` (default plugin:scaffolder); any service may read one
   * approval, and services get 403 everywhere else.
   */
  trustedServices: string[] = ['plugin:scaffolder'];

  private sequence = 0;
  private server?: http.Server;

  private constructor() {
    const takenAt = (day: number) =>
      new Date(Date.UTC(2026, 10, 24 - day, 2)).toISOString();
    this.backups.set(
      'resource:default/qawave-postgresql',
      [0, 1, 2].map(day => ({
        key: `postgresql/daily/qawave_202611${24 - day}_020000.dump`,
        role: 'backup',
        size: 48_000_000 + day,
        takenAt: takenAt(day),
        lastModified: takenAt(day),
        complete: true,
        verification: day === 0 ? 'unverified' : 'passed',
      })),
    );
  }

  /** Starts a server on 127.0.0.1 on a free port. */
  static async start(): Promise<PgBackupContractServer> {
    const served = new PgBackupContractServer();
    served.server = http.createServer((req, res) => {
      // Standalone, the server plays the backend: strip its mount path.
      req.url = (req.url ?? '/').replace(/^\/api\/pg-backup/, '') || '/';
      void served.handle(req, res);
    });
    await new Promise<void>(resolve =>
      served.server!.listen(0, '127.0.0.1', resolve),
    );
    return served;
  }

  /** An instance without its own server, to mount as a backend plugin's router. */
  static unstarted(): PgBackupContractServer {
    return new PgBackupContractServer();
  }

  /** What `discovery.getBaseUrl('pg-backup')` returns for this server. */
  get baseUrl(): string {
    const { port } = this.server!.address() as AddressInfo;
    return `http://127.0.0.1:${port}/api/pg-backup`;
  }

  async stop(): Promise<void> {
    await new Promise<void>(resolve => this.server?.close(() => resolve()));
  }

  /** The recorded requests to paths matching `pattern`. */
  requestsTo(method: string, pattern: RegExp): RecordedRequest[] {
    return this.requests.filter(
      r => r.method === method && pattern.test(r.path),
    );
  }

  /** Serves one request; `req.url` is relative to /api/pg-backup. */
  async handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://pg-backup');
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
    };
    try {
      const text = await new Promise<string>((resolve, reject) => {
        let data = '';
        req.setEncoding('utf8');
        req.on('data', chunk => {
          data += chunk;
        });
        req.on('end', () => resolve(data));
        req.on('error', reject);
      });
      recorded.body = text ? JSON.parse(text) : undefined;
      this.authenticate(req, recorded);
      this.requests.push(recorded);
      if (this.unavailableFor > 0) {
        this.unavailableFor -= 1;
        throw new HttpProblem(
          503,
          'ServiceUnavailableError',
          'pg-backup is restarting',
        );
      }
      const result = this.route(recorded, url);
      if (typeof result.body === 'string') {
        res.writeHead(result.status, {
          'Content-Type': 'text/plain',
          ...result.headers,
        });
        res.end(result.body);
      } else {
        res.writeHead(result.status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(result.body));
      }
    } catch (error) {
      if (!this.requests.includes(recorded)) this.requests.push(recorded);
      const problem =
        error instanceof HttpProblem
          ? error
          : new HttpProblem(500, 'Error', String(error));
      res.writeHead(problem.status, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          error: { name: problem.errorName, message: problem.message },
          request: { method: recorded.method, url: recorded.path },
          response: { statusCode: problem.status },
        }),
      );
    }
  }

  /** Accepts only tokens the mock auth service issues for pg-backup on behalf of a user. */
  private authenticate(req: http.IncomingMessage, recorded: RecordedRequest) {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer mock-service-token:(.+)$/.exec(header);
    if (!match) {
      throw new HttpProblem(
        401,
        'AuthenticationError',
        'Missing or unknown token',
      );
    }
    const claims = JSON.parse(match[1]) as {
      sub?: string;
      obo?: string;
      target?: string;
    };
    recorded.onBehalfOf = claims.obo;
    recorded.service = claims.obo ? undefined : claims.sub;
    recorded.targetPluginId = claims.target;
    if (claims.target !== 'pg-backup') {
      throw new HttpProblem(
        401,
        'AuthenticationError',
        `Token is for ${claims.target}`,
      );
    }
    if (claims.obo && this.userTokensLeft !== undefined) {
      if (this.userTokensLeft <= 0) {
        throw new HttpProblem(
          401,
          'AuthenticationError',
          'Failed user token verification, "exp" claim timestamp check failed',
        );
      }
      this.userTokensLeft -= 1;
    }
  }

  private route(
    request: RecordedRequest,
    url: URL,
  ): { status: number; body: unknown; headers?: Record<string, string> } {
    const { method, path } = request;
    if (request.service) this.checkService(request.service, method, path);
    /** The decoded groups of `pattern` when the request matches it. */
    const on = (verb: string, pattern: RegExp): string[] | undefined => {
      const match = method === verb ? pattern.exec(path) : null;
      return match?.slice(1).map(decodeURIComponent);
    };
    const entity = /^\/entities\/([^/]+)\/([^/]+)\/([^/]+)(\/.*)$/.exec(path);
    if (entity) {
      const ref = `${decodeURIComponent(entity[1]).toLocaleLowerCase(
        'en-US',
      )}:${decodeURIComponent(entity[2])}/${decodeURIComponent(entity[3])}`;
      if (!(ref in DATABASES)) {
        throw new HttpProblem(
          404,
          'NotFoundError',
          `No pg-backup database ${ref}`,
        );
      }
      const base = '^\\/entities\\/[^/]+\\/[^/]+\\/[^/]+';
      const at = (verb: string, rest: string) =>
        on(verb, new RegExp(`${base}${rest}$`));
      if (at('POST', '\\/operations')) {
        return this.startOperation(ref, request);
      }
      if (at('POST', '\\/approvals')) {
        return { status: 201, body: this.requestApproval(ref, request) };
      }
      if (at('GET', '\\/backups')) {
        const limit = Number(url.searchParams.get('limit') ?? 20);
        return {
          status: 200,
          body: { items: (this.backups.get(ref) ?? []).slice(0, limit) },
        };
      }
      if (at('POST', '\\/backups')) {
        return { status: 202, body: this.triggerBackup() };
      }
      if (at('GET', '\\/jobs')) {
        return {
          status: 200,
          body: {
            cronJobs: {
              known: true,
              value: [
                {
                  name: 'postgresql-backup',
                  role: 'backup',
                  schedule: '0 2 * * *',
                  suspend: false,
                },
              ],
            },
            jobs: {
              known: true,
              value: [...this.jobs.values()].map(j => j.summary),
            },
          },
        };
      }
      const logs = at('GET', '\\/jobs\\/([^/]+)\\/logs');
      if (logs) {
        const tail = Number(url.searchParams.get('tailLines') ?? 200);
        return this.jobLog(logs[0], tail);
      }
      const job = at('GET', '\\/jobs\\/([^/]+)');
      if (job) return { status: 200, body: this.readJob(ref, job[0]) };
    }
    const read = on('GET', /^\/operations\/([^/]+)$/);
    if (read) return { status: 200, body: this.advance(read[0]) };
    const cancel = on('POST', /^\/operations\/([^/]+)\/cancel$/);
    if (cancel) {
      const served = this.served(cancel[0]);
      served.cancelRequested = true;
      return { status: 202, body: served.operation };
    }
    const approval = on('GET', /^\/approvals\/([^/]+)$/);
    if (approval) {
      return { status: 200, body: this.readApproval(approval[0]) };
    }
    throw new HttpProblem(404, 'NotFoundError', `No route ${method} ${path}`);
  }

  /** The routes a service may call, as the backend allows them. */
  private checkService(service: string, method: string, path: string) {
    if (method === 'GET' && /^\/approvals\/[^/]+$/.test(path)) return;
    const followsOrStarts =
      (method === 'GET' && /^\/operations\/[^/]+$/.test(path)) ||
      (method === 'GET' && /^\/entities\/.+\/jobs\/[^/]+\/logs$/.test(path)) ||
      (method === 'POST' &&
        /^\/entities\/[^/]+\/[^/]+\/[^/]+\/operations$/.test(path));
    if (!followsOrStarts) {
      throw new HttpProblem(
        403,
        'NotAllowedError',
        "This endpoint does not allow 'service' credentials",
      );
    }
    if (!this.trustedServices.includes(service)) {
      throw new HttpProblem(
        403,
        'NotAllowedError',
        `service ${service} may not start or read operations; only a person, or a service listed in pgBackup.recovery.trustedServices, may`,
      );
    }
  }

  /**
   * A service's start: only of an operation an approval covers, for the approval's requester.
   * Returns who the operation is for.
   */
  private approvedStart(body: StartOperationRequest, service: string): string {
    const refuse = (why: string) =>
      new HttpProblem(403, 'NotAllowedError', why);
    if (body.dryRun) throw refuse(`service ${service} cannot plan dry runs`);
    if (!body.approvalId)
      throw refuse(
        `service ${service} may only start an operation an approval covers`,
      );
    if (this.planApproval(body) === 'not-needed')
      throw refuse(
        `this ${body.kind} needs no approval, so approval ${body.approvalId} does not cover it`,
      );
    const approval = this.approvals.get(body.approvalId);
    if (!approval || approval.state !== 'approved')
      throw refuse(`approval ${body.approvalId} is not approved`);
    return approval.requestedBy;
  }

  private newId(prefix: string): string {
    this.sequence += 1;
    return `${prefix}-${this.sequence}`;
  }

  /** Validates a start request as the contract describes; returns the problems. */
  private problems(ref: string, body: StartOperationRequest): string[] {
    const problems: string[] = [];
    const database = DATABASES[ref];
    if (!KINDS.includes(body.kind)) {
      problems.push(`kind "${body.kind}" is not one of ${KINDS.join(', ')}`);
    }
    const target = body.target;
    if (target) {
      if (!TARGET_KINDS.includes(target.kind)) {
        problems.push(
          `target.kind "${target.kind}" is not one of ${TARGET_KINDS.join(
            ', ',
          )}`,
        );
      }
      if (!DATABASE_NAME.test(target.database ?? '')) {
        problems.push(
          `target.database "${target.database}" is not a valid database name: expected [a-z_][a-z0-9_]{0,62}`,
        );
      } else if (target.kind === 'live' && target.database !== database) {
        problems.push(
          `target.database "${target.database}" is not the database of ${ref} ("${database}")`,
        );
      }
      if (target.kind === 'other-namespace' && !target.namespace) {
        problems.push(
          'target.namespace is required for an other-namespace restore',
        );
      }
    }
    const dangerous = body.kind === 'emergency' || target?.kind === 'live';
    if (dangerous) {
      if (!body.approvalId) {
        problems.push(
          `approvalId is required for ${
            body.kind === 'emergency'
              ? 'an emergency recovery'
              : 'a live restore'
          }`,
        );
      } else {
        const approval = this.approvals.get(body.approvalId);
        if (!approval || approval.state !== 'approved') {
          problems.push(
            `approvalId "${body.approvalId}" is not an approved request`,
          );
        } else if (approval.usedByOperation) {
          problems.push(
            `approvalId "${body.approvalId}" was already used by operation ${approval.usedByOperation}`,
          );
        }
      }
      if (body.confirmation !== database) {
        problems.push(
          `confirmation "${
            body.confirmation ?? ''
          }" does not match the database name "${database}"`,
        );
      }
    }
    const keys = (this.backups.get(ref) ?? []).map(b => b.key);
    if (body.backupKey && !keys.includes(body.backupKey)) {
      problems.push(
        `backupKey "${body.backupKey}" is not a complete backup of ${ref}`,
      );
    }
    return problems;
  }

  private startOperation(ref: string, request: RecordedRequest) {
    const body = request.body as StartOperationRequest;
    const requestedBy = request.service
      ? this.approvedStart(body, request.service)
      : request.onBehalfOf ?? 'unknown';
    const problems = this.problems(ref, body);
    const backupKey =
      body.backupKey ?? (this.backups.get(ref) ?? [])[0]?.key ?? 'none';
    const script = this.script(body.kind);
    if (body.dryRun) {
      const plan: OperationPlan = {
        kind: body.kind,
        entityRef: ref,
        backupKey,
        target: body.target,
        steps: script.steps.map(s => ({ id: s.id, title: s.title })),
        approval: this.planApproval(body),
        problems,
      };
      return { status: 200, body: plan };
    }
    // A replayed request returns the first operation, before anything else is checked.
    if (body.idempotencyKey) {
      const earlier = [...this.operations.values()].find(
        o => o.idempotencyKey === body.idempotencyKey,
      );
      if (
        earlier &&
        (!request.service || earlier.operation.approvalId === body.approvalId)
      )
        return { status: 202, body: earlier.operation };
    }
    if (problems.length > 0) throw badRequest(problems.join('; '));
    const running = [...this.operations.values()].find(
      o =>
        o.operation.entityRef === ref &&
        ['pending', 'running'].includes(o.operation.state),
    );
    if (running) {
      throw new HttpProblem(
        409,
        'ConflictError',
        `${running.operation.kind} operation ${running.operation.id} is already running on ${ref}; one restore per database at a time`,
      );
    }
    const id = this.newId('op');
    const operation: RecoveryOperation = {
      id,
      entityRef: ref,
      kind: body.kind,
      state: 'pending',
      requestedBy,
      backupKey,
      target:
        body.kind === 'restore'
          ? body.target ?? {
              kind: 'new-database',
              database: `${DATABASES[ref]}_restored_202611241000`,
            }
          : undefined,
      approvalId: body.approvalId,
      reason: body.reason,
      steps: script.steps.map(s => ({
        id: s.id,
        title: s.title,
        state: 'pending',
        ...(s.job && { job: s.job }),
      })),
      createdAt: new Date().toISOString(),
    };
    if (body.approvalId) {
      this.approvals.get(body.approvalId)!.usedByOperation = id;
    }
    this.operations.set(id, {
      operation,
      script,
      idempotencyKey: body.idempotencyKey,
      cursor: -1,
      cancelRequested: false,
      revealed: new Map(),
    });
    return { status: 202, body: operation };
  }

  private planApproval(body: StartOperationRequest): OperationPlan['approval'] {
    if (body.kind !== 'emergency' && body.target?.kind !== 'live') {
      return 'not-needed';
    }
    const approval = body.approvalId
      ? this.approvals.get(body.approvalId)
      : undefined;
    return approval?.state === 'approved' ? 'valid' : 'missing';
  }

  private served(id: string): ServedOperation {
    const served = this.operations.get(id);
    if (!served)
      throw new HttpProblem(404, 'NotFoundError', `No operation ${id}`);
    return served;
  }

  /** One read moves the operation one step on. */
  private advance(id: string): RecoveryOperation {
    const served = this.served(id);
    const { operation, script } = served;
    if (['succeeded', 'failed', 'cancelled'].includes(operation.state)) {
      return operation;
    }
    const steps = operation.steps;
    const finish = (
      state: 'succeeded' | 'failed' | 'cancelled',
      error?: string,
    ) => {
      // Scale-back always runs, also after a failure or a cancellation.
      const scaleBack = steps.find(s => s.id === 'scale-back');
      if (scaleBack && scaleBack.state === 'pending') {
        scaleBack.state = 'succeeded';
        scaleBack.detail = 'backend back to 2 replicas';
      }
      for (const step of steps)
        if (step.state === 'pending') step.state = 'cancelled';
      operation.state = state;
      operation.error = error;
      operation.finishedAt = new Date().toISOString();
      if (script.recordedReplicas)
        operation.recordedReplicas = script.recordedReplicas;
    };
    const current = served.cursor >= 0 ? steps[served.cursor] : undefined;
    if (served.cancelRequested) {
      if (current && current.state === 'running') {
        current.state = 'cancelled';
        current.detail = 'cancelled';
      }
      finish('cancelled', 'cancelled by the requester');
      return operation;
    }
    if (current) {
      const scripted = script.steps[served.cursor];
      if (scripted.hang) return operation;
      this.reveal(served, scripted, true);
      current.finishedAt = new Date().toISOString();
      if (scripted.failWith) {
        current.state = 'failed';
        current.detail = scripted.failWith;
        finish('failed', scripted.failWith);
        return operation;
      }
      current.state = 'succeeded';
    }
    served.cursor += 1;
    const next = steps[served.cursor];
    if (!next) {
      const kind = operation.kind;
      if (kind !== 'restore' || operation.target) {
        operation.verification = verificationReport(
          operation.backupKey,
          operation.target?.database ?? 'scratch',
          script.verificationPassed !== false,
        );
      }
      operation.measuredRtoMs = script.measuredRtoMs;
      operation.rtoObjectiveMs = script.rtoObjectiveMs;
      const failed = script.verificationPassed === false && kind === 'verify';
      finish(
        failed ? 'failed' : 'succeeded',
        failed
          ? 'verification failed: rows:public.invoices expected 1200, got 1100'
          : undefined,
      );
      return operation;
    }
    operation.state = 'running';
    next.state = 'running';
    next.startedAt = new Date().toISOString();
    this.reveal(served, script.steps[served.cursor], false);
    return operation;
  }

  private reveal(served: ServedOperation, step: ScriptedStep, all: boolean) {
    if (!step.job) return;
    const lines = step.logLines ?? [];
    served.revealed.set(
      step.job,
      all ? lines.length : Math.ceil(lines.length / 2),
    );
  }

  private jobLog(job: string, tail: number) {
    for (const served of this.operations.values()) {
      const step = served.script.steps.find(s => s.job === job);
      if (step) {
        const count = served.revealed.get(job);
        if (count === undefined) {
          throw new HttpProblem(
            404,
            'NotFoundError',
            `Job ${job} has no pod yet`,
          );
        }
        const lines = (step.logLines ?? []).slice(0, count);
        return {
          status: 200,
          body: lines
            .slice(-tail)
            .map(l => `${l}\n`)
            .join(''),
          headers: { 'X-Pod-Name': `${job}-abcde` },
        };
      }
    }
    const backupJob = this.jobs.get(job);
    if (backupJob) {
      return {
        status: 200,
        body: backupJob.lines
          .slice(0, backupJob.revealed)
          .slice(-tail)
          .map(l => `${l}\n`)
          .join(''),
        headers: { 'X-Pod-Name': `${job}-abcde` },
      };
    }
    throw new HttpProblem(404, 'NotFoundError', `No Job ${job}`);
  }

  private requestApproval(
    ref: string,
    request: RecordedRequest,
  ): ApprovalRequest {
    const body = request.body as ApprovalRequestBody;
    if (!body.reason || body.reason.trim().length < 3) {
      throw badRequest(
        `reason "${body.reason ?? ''}" is too short: say why in a sentence`,
      );
    }
    const id = this.newId('approval');
    const approval: ApprovalRequest = {
      id,
      entityRef: ref,
      kind: body.kind,
      backupKey: body.backupKey,
      target: body.target,
      reason: body.reason,
      requestedBy: request.onBehalfOf ?? 'unknown',
      state: 'pending',
      createdAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 4 * 3_600_000).toISOString(),
    };
    this.approvals.set(id, approval);
    this.approvalScripts.set(id, this.approvalScript);
    return approval;
  }

  /** Adds an approval directly (as if requested earlier). */
  addApproval(
    approval: Partial<ApprovalRequest> & { id: string },
    script?: ApprovalScript,
  ) {
    this.approvals.set(approval.id, {
      entityRef: 'resource:default/qawave-postgresql',
      kind: 'restore',
      reason: 'test',
      requestedBy: 'user:default/alice',
      state: 'pending',
      createdAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 4 * 3_600_000).toISOString(),
      ...approval,
    });
    this.approvalScripts.set(approval.id, script ?? this.approvalScript);
  }

  private readApproval(id: string): ApprovalRequest {
    const approval = this.approvals.get(id);
    if (!approval)
      throw new HttpProblem(404, 'NotFoundError', `No approval request ${id}`);
    const reads = (this.approvalReads.get(id) ?? 0) + 1;
    this.approvalReads.set(id, reads);
    const script = this.approvalScripts.get(id);
    if (approval.state === 'pending' && script && reads >= script.afterReads) {
      if (script.decision === 'expire') approval.state = 'expired';
      if (script.decision === 'approve' || script.decision === 'reject') {
        approval.state =
          script.decision === 'approve' ? 'approved' : 'rejected';
        approval.decidedBy = script.by ?? 'user:default/bob';
        approval.decidedAt = new Date().toISOString();
        approval.comment = script.comment;
      }
    }
    return approval;
  }

  private triggerBackup() {
    const job = this.newId('postgresql-backup-manual');
    this.jobs.set(job, {
      summary: {
        name: job,
        cronJob: 'postgresql-backup',
        state: 'running',
        startTime: new Date().toISOString(),
        manual: true,
        pods: [`${job}-abcde`],
      },
      reads: 0,
      lines: [
        'backup: pg_dump started',
        'backup: uploading to S3',
        'backup: manifest written',
      ],
      revealed: 1,
    });
    return { namespace: 'qawave', job, cronJob: 'postgresql-backup' };
  }

  /** Backup Jobs finish on their third read. */
  private readJob(ref: string, name: string): JobSummary {
    const job = this.jobs.get(name);
    if (!job) throw new HttpProblem(404, 'NotFoundError', `No Job ${name}`);
    job.reads += 1;
    if (job.summary.state === 'running' && job.reads >= 3) {
      job.revealed = job.lines.length;
      job.summary.finishedAt = new Date().toISOString();
      job.summary.durationMs = 1500;
      if (this.backupJobFails) {
        job.summary.state = 'failed';
        job.summary.failure = {
          kind: 's3-credentials',
          hint: 'S3 rejected the credentials; rotate the backup Secret.',
          evidence: 'InvalidAccessKeyId',
        };
      } else {
        job.summary.state = 'succeeded';
        const now = new Date();
        const stamp = now
          .toISOString()
          .replace(/[-:]/g, '')
          .replace('T', '_')
          .slice(0, 15);
        this.backups.get(ref)!.unshift({
          key: `postgresql/daily/qawave_${stamp}.dump`,
          role: 'backup',
          size: 48_100_000,
          takenAt: now.toISOString(),
          lastModified: now.toISOString(),
          complete: true,
          verification: 'unverified',
        });
      }
    } else if (job.summary.state === 'running') {
      job.revealed = Math.min(job.lines.length, job.revealed + 1);
    }
    return job.summary;
  }
}
