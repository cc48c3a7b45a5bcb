// Each property checks the outcome its generated case calls for, so expectations are conditional.
/* eslint-disable jest/no-conditional-expect */
import fc from 'fast-check';
import { checkBackupKey, formatBackupKey, parseBackupKey } from './backupKeys';

// PG_BACKUP_SOAK=1 runs ten times as many cases; a failure prints the seed to replay it.
const runs = (n: number) => (process.env.PG_BACKUP_SOAK === '1' ? n * 10 : n);

const PIECES = [
  '../',
  '..',
  './',
  '.',
  '%2e%2e%2f',
  '%2F',
  '/',
  ';',
  '|',
  '&',
  '$(',
  ')',
  '`',
  "'",
  '"',
  '<',
  '>',
  '\n',
  '\u0000',
  '\u007f',
  '\u0085',
  '\u009b',
  '\u202e',
  '\u2028',
  '\ud800',
  '\udc00',
  '\\',
  '数',
  '😀',
  ' ',
  'qawave',
  '_20260130_020000',
  '.dump',
  'postgresql/daily/',
];

/** Keys built from traversal tricks, shell metacharacters, Unicode and parts of real keys. */
const hostileKey = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc
    .array(fc.constantFrom(...PIECES), { maxLength: 14 })
    .map(parts => parts.join('')),
  fc
    .tuple(
      fc.constantFrom('a', '数', '😀', '../'),
      fc.integer({ min: 200, max: 1200 }),
    )
    .map(([unit, count]) => `postgresql/daily/${unit.repeat(count)}`),
);
const prefixes = fc.constantFrom('', 'postgresql/daily/', 'a/');

/** Whether every UTF-16 surrogate in the text is part of a pair (the text is valid Unicode). */
function isWellFormed(text: string): boolean {
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(
    text,
  );
}

describe('checkBackupKey with hostile keys', () => {
  it('accepts only plain, well-formed object names directly under the prefix', () => {
    fc.assert(
      fc.property(hostileKey, prefixes, (key, prefix) => {
        const problem = checkBackupKey(key, prefix);
        if (problem !== undefined) {
          expect(problem).toMatch(/^backup key ".*"/s);
          // Long keys are shortened in the message so errors and logs stay readable.
          expect(problem.length).toBeLessThan(400);
          return;
        }
        expect(key.startsWith(prefix)).toBe(true);
        const name = key.slice(prefix.length);
        expect(name).not.toBe('');
        expect(name).not.toContain('/');
        expect(['.', '..']).not.toContain(name);
        // eslint-disable-next-line no-control-regex
        expect(key).not.toMatch(/[\u0000-\u001f\u007f-\u009f\\]/);
        expect(isWellFormed(key)).toBe(true);
        expect(new TextEncoder().encode(key).length).toBeLessThanOrEqual(1024);
      }),
      { numRuns: runs(5000) },
    );
  });

  it('accepts every key the suite writes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('', 'postgresql/daily/', "x/y!_*'()-/"),
        fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_-]{0,62}$/),
        fc.date({
          min: new Date('1970-01-01T00:00:00Z'),
          max: new Date('9999-12-31T23:59:59Z'),
          noInvalidDate: true,
        }),
        (prefix, database, at) => {
          const key = formatBackupKey(prefix, database, at);
          expect(checkBackupKey(key, prefix)).toBeUndefined();
          const parsed = parseBackupKey(key);
          expect(parsed).toMatchObject({ key, format: 'runbook', database });
          const whole = new Date(Math.floor(at.getTime() / 1000) * 1000);
          expect(parsed.takenAt).toBe(whole.toISOString());
        },
      ),
      { numRuns: runs(3000) },
    );
  });
});

describe('parseBackupKey with hostile keys', () => {
  it('never throws in UTC and returns a consistent reading', () => {
    fc.assert(
      fc.property(hostileKey, key => {
        const parsed = parseBackupKey(key);
        expect(parsed.key).toBe(key);
        expect(key.endsWith(parsed.fileName)).toBe(true);
        expect(parsed.fileName).not.toContain('/');
        if (parsed.format === 'runbook') {
          expect(parsed.problem).toBeUndefined();
          expect(parsed.database).toMatch(/^[A-Za-z0-9_-]+$/);
          expect(Number.isNaN(Date.parse(parsed.takenAt!))).toBe(false);
        } else {
          expect(parsed.takenAt).toBeUndefined();
        }
      }),
      { numRuns: runs(5000) },
    );
  });

  it('refuses an unknown time zone with a TypeError naming it, and nothing else', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 30 }),
          fc.constantFrom(
            'UTC',
            'Europe/Berlin',
            '../etc/localtime',
            '$(id)',
            '',
          ),
        ),
        timeZone => {
          let parsed;
          try {
            parsed = parseBackupKey('qawave_20260130_020000.dump', {
              timeZone,
            });
          } catch (error) {
            expect(error).toBeInstanceOf(TypeError);
            expect((error as Error).message).toContain('time zone');
            return;
          }
          expect(parsed.format).toBe('runbook');
        },
      ),
      { numRuns: runs(2000) },
    );
  });
});

describe('checkBackupKey regressions found by the properties', () => {
  it.each([
    ['a\ud800.dump', /not valid Unicode/],
    ['\udc00', /not valid Unicode/],
    ['a\u0085b.dump', /control characters/],
    ['a\u009bb.dump', /control characters/],
  ])('refuses %p', (key, message) => {
    expect(checkBackupKey(key, '')).toMatch(message);
  });

  it('still accepts paired surrogates (emoji) and other Unicode', () => {
    expect(checkBackupKey('backup-😀-数据库.dump', '')).toBeUndefined();
  });
});
