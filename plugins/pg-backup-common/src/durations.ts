import { shownValue as shown } from './shownValue';

/**
 * A parsed duration: the original text and its length in milliseconds.
 *
 * @public
 */
export interface Duration {
  /** The text it was parsed from, e.g. `6h` or `PT6H`. */
  text: string;
  /** Length in milliseconds. */
  ms: number;
}

const UNIT_MS = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
} as const;

const SHORT_FORM = /^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;
const ISO_FORM =
  /^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

/**
 * What a duration annotation accepts, for error messages.
 *
 * @public
 */
export const DURATION_HELP =
  'a positive duration such as 6h, 30d, 1d12h, 90m, 2w or ISO-8601 PT6H, P30D, P1DT12H';

/**
 * Parses `6h`, `30d`, `1d12h`, `2w`, `90m`, `45s` or ISO-8601 durations (`PT6H`, `P30D`,
 * `P1DT12H`, `P2W`). Calendar years and months are refused: their length is ambiguous.
 * Returns the problem as a string when the text is not a valid positive duration.
 *
 * @public
 */
export function parseDuration(text: string): Duration | string {
  const trimmed = text.trim();
  if (trimmed === '') {
    return `empty duration; expected ${DURATION_HELP}`;
  }
  const short = SHORT_FORM.exec(trimmed);
  if (short) {
    const [, w, d, h, m, s] = short.map(v => (v === undefined ? 0 : Number(v)));
    return positive(
      trimmed,
      w * UNIT_MS.w +
        d * UNIT_MS.d +
        h * UNIT_MS.h +
        m * UNIT_MS.m +
        s * UNIT_MS.s,
    );
  }
  const iso = ISO_FORM.exec(trimmed.toUpperCase());
  if (iso) {
    const [, years, months, w, d, h, m, s] = iso;
    if (years || months) {
      return `"${shown(
        text,
      )}" uses calendar years or months, whose length varies; use days instead (e.g. P30D or 30d)`;
    }
    const n = (v?: string) => (v === undefined ? 0 : Number(v));
    return positive(
      trimmed,
      n(w) * UNIT_MS.w +
        n(d) * UNIT_MS.d +
        n(h) * UNIT_MS.h +
        n(m) * UNIT_MS.m +
        n(s) * UNIT_MS.s,
    );
  }
  return `"${shown(text)}" is not a duration; expected ${DURATION_HELP}`;
}

function positive(text: string, ms: number): Duration | string {
  if (!Number.isSafeInteger(ms) || ms <= 0) {
    return `"${shown(
      text,
    )}" must be longer than zero and finite; expected ${DURATION_HELP}`;
  }
  return { text, ms };
}

/**
 * Formats milliseconds for people: `6h`, `1d 4h`, `35m`, `12s`; the two largest units.
 *
 * @public
 */
export function formatDuration(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(Math.round(ms / 1000));
  const parts: string[] = [];
  for (const [unit, seconds] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const count = Math.floor(rest / seconds);
    rest -= count * seconds;
    if (count > 0 || (unit === 's' && parts.length === 0))
      parts.push(`${count}${unit}`);
    if (parts.length === 2) break;
  }
  return sign + parts.join(' ');
}
