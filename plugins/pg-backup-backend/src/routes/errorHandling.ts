import { AuditorService } from '@backstage/backend-plugin-api';
import {
  InputError,
  NotFoundError,
  ServiceUnavailableError,
  isError,
} from '@backstage/errors';
import express, { Request } from 'express';
import { UpstreamError } from '../upstream';

/** The refusals a read is audited for, with their status. */
const REFUSALS: Record<string, number> = {
  InputError: 400,
  NotAllowedError: 403,
  NotFoundError: 404,
};

/**
 * Refused reads are audited too (every write audits itself): a crafted ref to another Job,
 * prefix or entity, or a read the caller may not make, leaves a trace.
 */
export function auditRefusedReads(
  auditor: AuditorService,
): express.ErrorRequestHandler {
  return (error: unknown, req: Request, _res, next) => {
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
  };
}

/** Any other path under the plugin is a JSON 404 naming it, like every other refusal. */
export function unknownRoute(): express.RequestHandler {
  return (req: Request) => {
    throw new NotFoundError(
      `pg-backup has no route ${req.method} ${req.path.slice(
        0,
        200,
      )}; its routes are listed in src/schema/openapi.yaml`,
    );
  };
}

/**
 * A cluster or S3 failure is the upstream's fault: 503 with the reason, not 500. A path that
 * is not valid percent-encoding (Express cannot decode it) is the caller's: 400.
 */
export function upstreamErrorsAs503(): express.ErrorRequestHandler {
  return (error: unknown, _req, _res, next) => {
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
  };
}
