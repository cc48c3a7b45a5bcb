import { AuthService, DiscoveryService } from '@backstage/backend-plugin-api';
import { ActionContext } from '@backstage/plugin-scaffolder-node';
import { JsonObject } from '@backstage/types';
import { DEFAULT_FOLLOW_TIMING, FollowTiming } from '../FollowTiming';
import { PgBackupClient } from '../PgBackupClient';

/** What every pg-backup action factory takes. */
export interface PgBackupActionOptions {
  /** Finds the pg-backup backend (`discovery.getBaseUrl('pg-backup')`). */
  discovery: DiscoveryService;
  /** Issues tokens on behalf of the task's initiator, and the module's own. */
  auth: AuthService;
  /** Polling intervals and tolerances; the defaults suit production. */
  timing?: Partial<FollowTiming>;
}

/** The parts of a scaffolder action context the pg-backup actions use, whatever their schemas. */
export type PgBackupStepContext = Pick<
  ActionContext<JsonObject>,
  | 'logger'
  | 'checkpoint'
  | 'getInitiatorCredentials'
  | 'task'
  | 'step'
  | 'signal'
  | 'isDryRun'
>;

/** The options' timing with the defaults filled in. */
export function followTiming(options: PgBackupActionOptions): FollowTiming {
  return { ...DEFAULT_FOLLOW_TIMING, ...options.timing };
}

/** A client acting on behalf of the task's initiator, so the backend checks their permissions. */
export async function clientForInitiator(
  ctx: PgBackupStepContext,
  options: PgBackupActionOptions,
): Promise<PgBackupClient> {
  return new PgBackupClient({
    discovery: options.discovery,
    auth: options.auth,
    credentials: await ctx.getInitiatorCredentials(),
  });
}

/**
 * A client acting with the module's own service credentials, for what must outlast the
 * initiator's token (1 h): an approval wait (up to the approval's expiry of 4 h), starting an
 * operation an approval covers after that wait (the backend attributes it to the approval's
 * requester), and following operations. The backend answers services on `GET /approvals/:id`,
 * and trusted services (`pgBackup.recovery.trustedServices`) on those starts, `GET
 * /operations/:id` and the Jobs' logs, nothing else.
 */
export async function clientForModule(
  options: PgBackupActionOptions,
): Promise<PgBackupClient> {
  return new PgBackupClient({
    discovery: options.discovery,
    auth: options.auth,
    credentials: await options.auth.getOwnServiceCredentials(),
  });
}

/**
 * The idempotency key of one step of one task: a retried or resumed task sends the same key,
 * so the backend returns the operation it already started instead of starting another.
 */
export function idempotencyKeyOf(
  ctx: PgBackupStepContext,
  fallbackStep: string,
): string {
  return `${ctx.task.id}:${ctx.step?.id ?? fallbackStep}`;
}

/** A template field left empty arrives as '' or not at all; both mean "not given". */
export function given(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}
