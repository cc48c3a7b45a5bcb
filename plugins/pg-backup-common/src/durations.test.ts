import { formatDuration, parseDuration } from './durations';

const H = 3_600_000;
const D = 24 * H;

describe('parseDuration', () => {
  it.each([
    ['6h', 6 * H],
    ['30d', 30 * D],
    ['1d12h', 36 * H],
    ['2w', 14 * D],
    ['90m', 90 * 60_000],
    ['45s', 45_000],
    [' 4h ', 4 * H],
    ['PT6H', 6 * H],
    ['P30D', 30 * D],
    ['P1DT12H', 36 * H],
    ['P2W', 14 * D],
    ['PT90M', 90 * 60_000],
    ['pt4h', 4 * H],
  ])('reads %p as %p ms', (text, ms) => {
    expect(parseDuration(text)).toEqual({ text: text.trim(), ms });
  });

  it.each([
    ['', /empty duration/],
    ['0h', /longer than zero/],
    ['PT0S', /longer than zero/],
    ['6', /not a duration/],
    ['6 hours', /not a duration/],
    ['-6h', /not a duration/],
    ['h6', /not a duration/],
    ['6h30', /not a duration/],
    ['P', /not a duration/],
    ['PT', /not a duration/],
    ['P1M', /calendar years or months/],
    ['P1Y', /calendar years or months/],
    ['99999999999999999999d', /finite/],
  ])('rejects %p', (text, message) => {
    const result = parseDuration(text);
    expect(typeof result).toBe('string');
    expect(result).toMatch(message);
  });

  it('names the accepted forms in its error', () => {
    expect(parseDuration('soon')).toBe(
      '"soon" is not a duration; expected a positive duration such as 6h, 30d, 1d12h, 90m, 2w or ISO-8601 PT6H, P30D, P1DT12H',
    );
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [12_000, '12s'],
    [35 * 60_000, '35m'],
    [6 * H, '6h'],
    [7 * H + 20 * 60_000 + 5000, '7h 20m'],
    [28 * H, '1d 4h'],
    [30 * D, '30d'],
    [-2 * H, '-2h'],
  ])('formats %p ms as %p', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
