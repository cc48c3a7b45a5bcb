import { LoggerService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { PgBackupRequestError } from './PgBackupClient';

/** Statuses no retry can fix: a bad request, no (or an expired) token, no permission, gone. */
const PERMANENT_STATUSES = [400, 401, 403, 404];

/**
 * Reads something being followed (an operation, a Job, an approval) while tolerating a run of
 * transient failures, e.g. while the backend restarts or a proxy times out, so a long wait does
 * not fail on one dropped request.
 */
export class PatientReader {
  private failures = 0;

  constructor(
    private readonly what: string,
    private readonly logger: LoggerService,
    private readonly maxConsecutiveFailures: number,
  ) {}

  /**
   * The value read, or undefined after a tolerated failure (logged as a warning). Throws a
   * permanent refusal at once, and the last failure once too many happened in a row.
   */
  async read<T>(read: () => Promise<T>): Promise<T | undefined> {
    try {
      const value = await read();
      this.failures = 0;
      return value;
    } catch (error) {
      if (
        (error instanceof PgBackupRequestError &&
          PERMANENT_STATUSES.includes(error.statusCode)) ||
        // Refused before any request was sent (e.g. an id that is no path segment).
        error instanceof InputError
      ) {
        throw error;
      }
      this.failures += 1;
      const message = (error as Error).message;
      if (this.failures > this.maxConsecutiveFailures) {
        throw new Error(
          `Lost track of ${this.what}: ${this.failures} reads in a row failed, the last with: ${message}`,
        );
      }
      this.logger.warn(
        `Reading ${this.what} failed (${this.failures} of ${this.maxConsecutiveFailures} tolerated in a row), retrying: ${message}`,
      );
      return undefined;
    }
  }
}
