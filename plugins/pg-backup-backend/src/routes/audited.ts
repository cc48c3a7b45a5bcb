import { AuditorService } from '@backstage/backend-plugin-api';
import { JsonObject } from '@backstage/types';
import { Request } from 'express';

/** What an audited action records besides its result. */
export interface AuditedAction<T> {
  result: T;
  /** Recorded with the success, beside the event's own meta. */
  meta?: JsonObject;
}

/**
 * Runs a write inside an audit event opened before the caller is authorized, so refused and
 * failed attempts are recorded as well as successes.
 */
export async function audited<T>(
  auditor: AuditorService,
  req: Request,
  event: {
    eventId: string;
    severityLevel: 'low' | 'medium' | 'high';
    meta: JsonObject;
  },
  action: () => Promise<AuditedAction<T>>,
): Promise<T> {
  const audit = await auditor.createEvent({ ...event, request: req });
  try {
    const { result, meta } = await action();
    await audit.success({ meta });
    return result;
  } catch (error) {
    await audit.fail({ error: error as Error });
    throw error;
  }
}
