// How error messages quote a value someone else chose (an annotation, a key, a parameter): short,
// and unable to forge log lines or reorder the text around it.

/**
 * Longest quoted value, in UTF-16 units, before it is cut with `…`.
 *
 * @public
 */
export const SHOWN_VALUE_LENGTH = 80;

// C0/C1 controls (newlines included), bidirectional marks, embeddings, overrides and isolates,
// and the Unicode line/paragraph separators.
const UNSAFE =
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

/**
 * The value as an error message shows it: at most {@link SHOWN_VALUE_LENGTH} characters (then
 * `…`), with control characters and bidirectional marks written as `\uXXXX`, so a crafted value
 * can neither flood a log, start a new log line, nor make the message read differently.
 *
 * @public
 */
export function shownValue(
  value: string,
  maxLength: number = SHOWN_VALUE_LENGTH,
): string {
  let cut = value.length > maxLength ? value.slice(0, maxLength) : value;
  // never end on half of a surrogate pair
  if (cut !== value && /[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  const escaped = cut.replace(
    UNSAFE,
    c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return cut === value ? escaped : `${escaped}…`;
}
