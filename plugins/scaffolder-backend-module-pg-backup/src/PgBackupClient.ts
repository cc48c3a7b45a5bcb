import {
  AuthService,
  BackstageCredentials,
  DiscoveryService,
} from '@backstage/backend-plugin-api';
import { CompoundEntityRef, parseEntityRef } from '@backstage/catalog-model';
import {
  CustomErrorBase,
  InputError,
  parseErrorResponseBody,
} from '@backstage/errors';
import {
  ApprovalRequest,
  ApprovalRequestBody,
  BackupPage,
  JobSummary,
  JobsResponse,
  OperationPlan,
  RecoveryOperation,
  StartOperationRequest,
  TriggerBackupResponse,
} from '@pg-backup/backstage-plugin-pg-backup-common';

/** The backend plugin the actions talk to. */
export const PG_BACKUP_PLUGIN_ID = 'pg-backup';

/**
 * A request the pg-backup backend refused or could not answer. The message is the backend's
 * own (from its JSON error body), which names the offending field and value.
 */
export class PgBackupRequestError extends CustomErrorBase {
  /** The HTTP status, e.g. 400 or 409. */
  readonly statusCode: number;
  /** The backend's error type, e.g. `InputError` or `ConflictError`. */
  readonly errorName: string;
  /** The backend's message alone. */
  readonly backendMessage: string;

  constructor(
    what: string,
    statusCode: number,
    errorName: string,
    backendMessage: string,
  ) {
    super(
      `${what} was refused by pg-backup (${statusCode} ${errorName}): ${backendMessage}`,
    );
    this.name = 'PgBackupRequestError';
    // A refusal is an answer, not a crash: the task log (which prints `stack`) shows the
    // message without this module's call stack.
    this.stack = `${this.name}: ${this.message}`;
    this.statusCode = statusCode;
    this.errorName = errorName;
    this.backendMessage = backendMessage;
  }
}

/**
 * Reads a database entity reference as the actions accept it (`resource:default/qawave-postgresql`,
 * or a bare name for a Resource in the default namespace).
 */
export function parseDatabaseRef(entityRef: string): CompoundEntityRef {
  try {
    const parsed = parseEntityRef(entityRef.trim(), {
      defaultKind: 'resource',
      defaultNamespace: 'default',
    });
    // A `.` or `..` part would move the request's URL path (see pathSegment).
    if (
      [parsed.kind, parsed.namespace, parsed.name].some(
        part => part === '.' || part === '..',
      )
    )
      throw new Error('dot segment');
    return parsed;
  } catch {
    throw new InputError(
      `entityRef "${entityRef.slice(
        0,
        120,
      )}" is not an entity reference; expected e.g. resource:default/qawave-postgresql`,
    );
  }
}

/** One page of a Job's log. */
export interface JobLogText {
  /** The pod the log was read from. */
  pod?: string;
  /** The log lines. */
  text: string;
}

/**
 * The pg-backup backend's HTTP API as one principal's client. With the task initiator's
 * credentials (the rule), every request carries a token issued on behalf of that user, so the
 * backend checks the user's permissions, not the scaffolder's. With the module's own service
 * credentials (the approval wait's polls, the start of an approved operation, which the backend
 * attributes to the approval's requester, and following operations), the token is the
 * scaffolder's.
 */
export class PgBackupClient {
  private readonly discovery: DiscoveryService;
  private readonly auth: AuthService;
  private readonly credentials: BackstageCredentials;
  private readonly fetchImpl: typeof fetch;

  constructor(options: {
    discovery: DiscoveryService;
    auth: AuthService;
    /**
     * The task initiator's credentials (`ctx.getInitiatorCredentials()`), or the module's own
     * (`auth.getOwnServiceCredentials()`).
     */
    credentials: BackstageCredentials;
    fetch?: typeof fetch;
  }) {
    this.discovery = options.discovery;
    this.auth = options.auth;
    this.credentials = options.credentials;
    this.fetchImpl = options.fetch ?? fetch;
  }

  /** `POST .../operations`: starts an operation (202), or returns its plan for a dry run (200). */
  async startOperation(
    entity: CompoundEntityRef,
    body: StartOperationRequest & { dryRun: true },
  ): Promise<OperationPlan>;
  async startOperation(
    entity: CompoundEntityRef,
    body: StartOperationRequest,
  ): Promise<RecoveryOperation>;
  async startOperation(
    entity: CompoundEntityRef,
    body: StartOperationRequest,
  ): Promise<RecoveryOperation | OperationPlan> {
    return this.json(
      `Starting the ${body.kind}${body.dryRun ? ' (dry run)' : ''} of ${ref(
        entity,
      )}`,
      'POST',
      `${entityPath(entity)}/operations`,
      body,
    );
  }

  /** `GET /operations/:id`. */
  async getOperation(id: string): Promise<RecoveryOperation> {
    return this.json(
      `Reading operation ${id}`,
      'GET',
      `/operations/${pathSegment(id)}`,
    );
  }

  /** `POST /operations/:id/cancel`. */
  async cancelOperation(id: string): Promise<RecoveryOperation> {
    return this.json(
      `Cancelling operation ${id}`,
      'POST',
      `/operations/${pathSegment(id)}/cancel`,
      {},
    );
  }

  /** `POST .../approvals`. */
  async requestApproval(
    entity: CompoundEntityRef,
    body: ApprovalRequestBody,
  ): Promise<ApprovalRequest> {
    return this.json(
      `Requesting an approval for the ${body.kind} of ${ref(entity)}`,
      'POST',
      `${entityPath(entity)}/approvals`,
      body,
    );
  }

  /** `GET /approvals/:id`. */
  async getApproval(id: string): Promise<ApprovalRequest> {
    return this.json(
      `Reading approval ${id}`,
      'GET',
      `/approvals/${pathSegment(id)}`,
    );
  }

  /** `POST .../backups`: a Job from the backup CronJob. */
  async triggerBackup(
    entity: CompoundEntityRef,
  ): Promise<TriggerBackupResponse> {
    return this.json(
      `Backing up ${ref(entity)}`,
      'POST',
      `${entityPath(entity)}/backups`,
      {},
    );
  }

  /** `GET .../backups`, newest first. */
  async listBackups(
    entity: CompoundEntityRef,
    limit: number,
  ): Promise<BackupPage> {
    return this.json(
      `Listing the backups of ${ref(entity)}`,
      'GET',
      `${entityPath(entity)}/backups?limit=${limit}`,
    );
  }

  /** `GET .../jobs`: the CronJobs and Job history. */
  async listJobs(entity: CompoundEntityRef): Promise<JobsResponse> {
    return this.json(
      `Listing the Jobs of ${ref(entity)}`,
      'GET',
      `${entityPath(entity)}/jobs`,
    );
  }

  /** `GET .../jobs/:job`. */
  async getJob(entity: CompoundEntityRef, job: string): Promise<JobSummary> {
    return this.json(
      `Reading Job ${job} of ${ref(entity)}`,
      'GET',
      `${entityPath(entity)}/jobs/${pathSegment(job)}`,
    );
  }

  /** `GET .../jobs/:job/logs`: the last `tailLines` lines of the Job's newest pod. */
  async getJobLog(
    entity: CompoundEntityRef,
    job: string,
    tailLines: number,
  ): Promise<JobLogText> {
    const response = await this.send(
      'GET',
      `${entityPath(entity)}/jobs/${pathSegment(
        job,
      )}/logs?tailLines=${tailLines}`,
    );
    if (!response.ok) {
      throw await requestError(
        `Reading the log of Job ${job} of ${ref(entity)}`,
        response,
        this.actsForService(),
      );
    }
    return {
      pod: response.headers.get('x-pod-name') ?? undefined,
      text: await response.text(),
    };
  }

  private async json<T>(
    what: string,
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<T> {
    const response = await this.send(method, path, body);
    if (!response.ok)
      throw await requestError(what, response, this.actsForService());
    // Parsed here rather than by response.json(): the values become step outputs, which the
    // scaffolder's template engine accepts only as plain records of this realm.
    return JSON.parse(await response.text()) as T;
  }

  /** Whether the client acts with a service's own credentials rather than a user's. */
  private actsForService(): boolean {
    return this.auth.isPrincipal(this.credentials, 'service');
  }

  private async send(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<Response> {
    // A fresh token per request: a restore or an approval can outlast one token's lifetime.
    const { token } = await this.auth.getPluginRequestToken({
      onBehalfOf: this.credentials,
      targetPluginId: PG_BACKUP_PLUGIN_ID,
    });
    const baseUrl = await this.discovery.getBaseUrl(PG_BACKUP_PLUGIN_ID);
    return this.fetchImpl(`${baseUrl}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        Accept: 'application/json',
        ...(body !== undefined && { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }
}

function ref(entity: CompoundEntityRef): string {
  return `${entity.kind.toLocaleLowerCase('en-US')}:${entity.namespace}/${
    entity.name
  }`;
}

/**
 * A value as one URL path segment. `.` and `..` are refused: `encodeURIComponent` keeps them
 * (and `%2E%2E` is no better), so the URL parser would resolve them and send the request to
 * another path, possibly with the module's own credentials.
 */
export function pathSegment(value: string): string {
  if (value === '.' || value === '..')
    throw new InputError(
      `"${value}" cannot be an entity name, job name or id: it would change the request's path`,
    );
  return encodeURIComponent(value);
}

function entityPath(entity: CompoundEntityRef): string {
  return `/entities/${[
    entity.kind.toLocaleLowerCase('en-US'),
    entity.namespace,
    entity.name,
  ]
    .map(pathSegment)
    .join('/')}`;
}

async function requestError(
  what: string,
  response: Response,
  asService: boolean,
): Promise<PgBackupRequestError> {
  const body = await parseErrorResponseBody(response);
  const name = body.error?.name ?? response.statusText ?? 'Error';
  let message = body.error?.message ?? '';
  if (response.status === 401 && !asService) {
    // Tokens issued on behalf of the initiator expire with the initiator's session.
    message = `${message} (the task acts with the initiator's Backstage token, which lasts auth.backstageTokenExpiration, default 1 h; start the task again)`;
  }
  return new PgBackupRequestError(what, response.status, name, message);
}
