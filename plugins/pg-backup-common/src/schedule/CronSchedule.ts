import { Cron } from 'croner';
import { CRON_DESCRIPTORS, descriptorFields } from './cronDescriptors';
import { checkTimeZone } from './zonedTime';

const NAMES =
  /\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|sun|mon|tue|wed|thu|fri|sat)\b/gi;

const PARSED = new Map<string, CronSchedule | string>();
const PARSED_MAX = 1000;

/**
 * A CronJob schedule (five fields or a descriptor) in a time zone, as Kubernetes runs it.
 *
 * @public
 */
export class CronSchedule {
  /** The schedule text as written in the CronJob. */
  readonly expression: string;
  /** IANA time zone the schedule is read in (`spec.timeZone`, default UTC). */
  readonly timeZone: string;
  private readonly cron: Cron;
  /**
   * The last interval asked about: no scheduled time lies in (from, next), so every `after` in
   * [from, next) has the same next run. A fleet's CronJobs share a few schedules and are
   * evaluated at nearly the same instants, so most lookups are answered from it.
   */
  private known?: { from: number; next: number };
  /** The last previous-run lookup: a fleet refresh asks it for one instant, database after database. */
  private lastPrevious?: { probe: number; previous: Date | undefined };

  private constructor(expression: string, timeZone: string, cron: Cron) {
    this.expression = expression;
    this.timeZone = timeZone;
    this.cron = cron;
  }

  /**
   * Parses a CronJob's `spec.schedule` and `spec.timeZone`. Returns the problem as a string when
   * either is invalid, naming the value and what is accepted.
   */
  static parse(expression: string, timeZone = 'UTC'): CronSchedule | string {
    // A fleet shares a handful of schedules: parse each once (the result is immutable).
    const cacheKey = `${timeZone}\u0000${expression}`;
    const cached = PARSED.get(cacheKey);
    if (cached !== undefined) return cached;
    const parsed = CronSchedule.parseUncached(expression, timeZone);
    if (PARSED.size >= PARSED_MAX) PARSED.delete(PARSED.keys().next().value!);
    PARSED.set(cacheKey, parsed);
    return parsed;
  }

  private static parseUncached(
    expression: string,
    timeZone: string,
  ): CronSchedule | string {
    const text = expression.trim();
    if (/^(CRON_)?TZ=/.test(text)) {
      return `schedule "${expression}" sets a time zone inside the schedule, which Kubernetes rejects; use spec.timeZone`;
    }
    const zoneProblem = checkTimeZone(timeZone);
    if (zoneProblem) return zoneProblem;
    const fields = descriptorFields(text.toLowerCase()) ?? text;
    if (fields.startsWith('@')) {
      return `schedule "${expression}" uses an unknown descriptor; accepted: ${Object.keys(
        CRON_DESCRIPTORS,
      ).join(', ')}`;
    }
    if (fields.split(/\s+/).length !== 5) {
      return `schedule "${expression}" must have five fields (minute hour day-of-month month day-of-week), e.g. "0 2 * * *"`;
    }
    const withoutNames = fields.replace(NAMES, '');
    if (/[LW#]/i.test(withoutNames)) {
      return `schedule "${expression}" uses L, W or #, which Kubernetes CronJobs do not support`;
    }
    try {
      const cron = new Cron(fields, {
        timezone: timeZone,
        mode: '5-part',
        paused: true,
      });
      return new CronSchedule(expression, timeZone, cron);
    } catch (error) {
      return `schedule "${expression}" is not a valid cron expression: ${
        (error as Error).message
      }`;
    }
  }

  /** The first scheduled time strictly after `after`, or undefined if there is none. */
  nextAfter(after: Date): Date | undefined {
    const at = after.getTime();
    const known = this.known;
    if (known && at >= known.from && at < known.next)
      return new Date(known.next);
    const next = outOfRangeAsUndefined(
      [after],
      () => this.cron.nextRun(after) ?? undefined,
    );
    if (next) this.known = { from: at, next: next.getTime() };
    return next;
  }

  /**
   * Scheduled times in the half-open interval (from, to], oldest first, at most `limit`
   * (Kubernetes itself gives up counting after 100 missed starts).
   */
  timesBetween(from: Date, to: Date, limit = 100): Date[] {
    const times: Date[] = [];
    let cursor: Date | undefined = from;
    while (times.length < limit) {
      cursor = this.nextAfter(cursor);
      if (!cursor || cursor.getTime() > to.getTime()) break;
      times.push(cursor);
    }
    return times;
  }

  /** The most recent scheduled time at or before `at`, looking back at most `horizonMs`. */
  previousAtOrBefore(at: Date, horizonMs: number): Date | undefined {
    const probe = new Date(at.getTime() + 1000);
    if (this.lastPrevious?.probe !== probe.getTime()) {
      const [found] =
        outOfRangeAsUndefined([probe], () =>
          this.cron.previousRuns(1, probe),
        ) ?? [];
      this.lastPrevious = { probe: probe.getTime(), previous: found };
    }
    const previous = this.lastPrevious.previous;
    return previous && at.getTime() - previous.getTime() <= horizonMs
      ? new Date(previous.getTime())
      : undefined;
  }
}

/** The times croner is asked about: Kubernetes writes four-digit years, backups start in 1970. */
const EARLIEST = Date.UTC(1970, 0, 1);
const LATEST = Date.UTC(9999, 11, 31, 23, 59, 59);

/**
 * Runs a croner lookup from `dates`. Outside 1970-9999 (a status time of year 275760, an
 * invalid date) there is no such run: there croner throws, or for some zones never returns.
 */
function outOfRangeAsUndefined<T>(
  dates: Date[],
  lookup: () => T,
): T | undefined {
  if (
    dates.some(
      date =>
        Number.isNaN(date.getTime()) ||
        date.getTime() < EARLIEST ||
        date.getTime() > LATEST,
    )
  )
    return undefined;
  try {
    return lookup();
  } catch (error) {
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}
