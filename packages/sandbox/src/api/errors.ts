import { CustomErrorBase } from '@backstage/errors';

/** A Kubernetes `Status` failure, thrown inside the API server and written as the response. */
export class StatusError extends CustomErrorBase {
  readonly code: number;
  readonly reason: string;
  readonly details?: Record<string, unknown>;

  constructor(
    code: number,
    reason: string,
    message: string,
    details?: Record<string, unknown>,
  ) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  /** The Status object a real API server would send. */
  toStatus(): Record<string, unknown> {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details && { details: this.details }),
      code: this.code,
    };
  }
}

/** 404 NotFound for `resource "name"`. */
export function notFound(
  resource: string,
  name: string,
  group = '',
): StatusError {
  return new StatusError(
    404,
    'NotFound',
    `${resource}${group ? `.${group}` : ''} "${name}" not found`,
    { name, group: group || undefined, kind: resource },
  );
}

/** 409 AlreadyExists. */
export function alreadyExists(
  resource: string,
  name: string,
  group = '',
): StatusError {
  return new StatusError(
    409,
    'AlreadyExists',
    `${resource}${group ? `.${group}` : ''} "${name}" already exists`,
    { name, group: group || undefined, kind: resource },
  );
}

/** 409 Conflict on a stale resourceVersion. */
export function conflict(
  resource: string,
  name: string,
  group = '',
): StatusError {
  return new StatusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${resource}${
      group ? `.${group}` : ''
    } "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, group: group || undefined, kind: resource },
  );
}

/** One cause of a 422 Invalid. */
export interface InvalidCause {
  field: string;
  message: string;
  reason?: string;
}

/** 422 Invalid with causes, worded as the API server words it. */
export function invalid(
  kind: string,
  name: string,
  causes: InvalidCause[],
  group = '',
): StatusError {
  const summary = causes.map(c => `${c.field}: ${c.message}`).join(', ');
  return new StatusError(
    422,
    'Invalid',
    `${kind}${group ? `.${group}` : ''} "${name}" is invalid: ${
      causes.length > 1 ? `[${summary}]` : summary
    }`,
    {
      name,
      group: group || undefined,
      kind,
      causes: causes.map(c => ({
        reason: c.reason ?? 'FieldValueInvalid',
        message: c.message,
        field: c.field,
      })),
    },
  );
}

/** 400 BadRequest. */
export function badRequest(message: string): StatusError {
  return new StatusError(400, 'BadRequest', message);
}

/** 403 Forbidden, worded as RBAC words it. */
export function forbidden(
  user: string,
  verb: string,
  resource: string,
  group: string,
  namespace?: string,
  name?: string,
): StatusError {
  const scope = namespace
    ? `in the namespace "${namespace}"`
    : 'at the cluster scope';
  return new StatusError(
    403,
    'Forbidden',
    `${resource}${group ? `.${group}` : ''}${
      name ? ` "${name}"` : ''
    } is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group "${group}" ${scope}`,
    { ...(name && { name }), group: group || undefined, kind: resource },
  );
}

/** 401 Unauthorized. */
export function unauthorized(): StatusError {
  return new StatusError(401, 'Unauthorized', 'Unauthorized');
}
