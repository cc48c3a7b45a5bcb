// Conversions between instants and wall-clock times in IANA time zones, on Intl alone so the
// package stays isomorphic.

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/**
 * Checks an IANA time zone name; returns the problem, or undefined when it is known.
 *
 * @public
 */
export function checkTimeZone(timeZone: string): string | undefined {
  try {
    formatter(timeZone);
    return undefined;
  } catch {
    return `time zone "${timeZone}" is not a known IANA time zone (e.g. UTC, Europe/Berlin, America/New_York)`;
  }
}

/** Offset of the zone from UTC at the instant, in milliseconds (east positive). */
export function timeZoneOffsetMs(instantMs: number, timeZone: string): number {
  // UTC is by far the most common zone (backup containers run in UTC): skip Intl for it.
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return 0;
  const parts: Record<string, number> = {};
  for (const { type, value } of formatter(timeZone).formatToParts(
    new Date(instantMs),
  )) {
    if (type !== 'literal') parts[type] = Number(value);
  }
  const asUtc = Date.UTC(
    parts.year,
    parts.month - 1,
    parts.day,
    parts.hour,
    parts.minute,
    parts.second,
  );
  return asUtc - Math.floor(instantMs / 1000) * 1000;
}

/**
 * A wall-clock time, month 1-12.
 *
 * @public
 */
export interface WallClock {
  /** Four-digit year. */
  year: number;
  /** Month, 1 to 12. */
  month: number;
  /** Day of the month, 1 to 31. */
  day: number;
  /** Hour, 0 to 23. */
  hour: number;
  /** Minute, 0 to 59. */
  minute: number;
  /** Second, 0 to 59. */
  second: number;
}

/**
 * The instant at which the zone's clocks show the wall-clock time. A time skipped by a DST jump
 * resolves to the instant just after the gap (as the clock would read had it not jumped); a time
 * that occurs twice resolves to the earlier occurrence — the same rule as Temporal's
 * `disambiguation: 'compatible'`.
 *
 * @public
 */
export function zonedWallClockToUtc(wall: WallClock, timeZone: string): number {
  const naive = Date.UTC(
    wall.year,
    wall.month - 1,
    wall.day,
    wall.hour,
    wall.minute,
    wall.second,
  );
  // The offsets in force a day either side bound the candidates.
  const before = timeZoneOffsetMs(naive - 86_400_000, timeZone);
  const after = timeZoneOffsetMs(naive + 86_400_000, timeZone);
  const candidates = [naive - before, naive - after]
    .filter(t => naive - timeZoneOffsetMs(t, timeZone) === t)
    .sort((a, b) => a - b);
  if (candidates.length > 0) return candidates[0];
  // In a gap: shift by the jump, like a clock that had not been moved forward.
  return naive - before;
}
