import { checkBackupKey, formatBackupKey, parseBackupKey } from './backupKeys';

describe('parseBackupKey', () => {
  it.each([
    [
      'postgresql/daily/qawave_20260130_020000.dump',
      undefined,
      'qawave',
      '2026-01-30T02:00:00.000Z',
    ],
    [
      'qawave_20260130_020000.dump',
      'UTC',
      'qawave',
      '2026-01-30T02:00:00.000Z',
    ],
    [
      'my_db_20261231_235959.dump',
      undefined,
      'my_db',
      '2026-12-31T23:59:59.000Z',
    ],
    ['orders-db_20260229_000000.dump', undefined, 'orders-db', undefined],
    [
      'orders-db_20280229_000000.dump',
      undefined,
      'orders-db',
      '2028-02-29T00:00:00.000Z',
    ],
    // Read in the CronJob's time zone: half past midnight in Berlin is the previous day in UTC.
    [
      'qawave_20260101_003000.dump',
      'Europe/Berlin',
      'qawave',
      '2025-12-31T23:30:00.000Z',
    ],
    // A name written during the DST gap still maps to one instant.
    [
      'qawave_20260308_023000.dump',
      'America/New_York',
      'qawave',
      '2026-03-08T07:30:00.000Z',
    ],
  ])('reads %p (zone %p)', (key, timeZone, database, takenAt) => {
    const parsed = parseBackupKey(key, { timeZone });
    expect(parsed.takenAt).toBe(takenAt);
    expect(parsed.format).toBe(takenAt ? 'runbook' : 'generic');
    expect(parsed.database).toBe(database);
  });

  it.each([
    [
      'qawave_20261301_020000.dump',
      /"20261301_020000" .* is not a valid date and time/,
    ],
    ['qawave_20260230_020000.dump', /not a valid date and time/],
    ['qawave_20260130_250000.dump', /not a valid date and time/],
    ['qawave_20260130_026000.dump', /not a valid date and time/],
    ['qawave_19691231_235959.dump', /not a valid date and time/],
    [
      'qawave_2026013_020000.dump',
      /looks like <database>_YYYYMMDD_HHMMSS.dump but is not/,
    ],
    ['qawave_20260130_0200.dump', /looks like/],
    ['_20260130_020000.dump', /looks like/],
  ])('falls back to the object time for malformed %p', (key, problem) => {
    const parsed = parseBackupKey(`postgresql/daily/${key}`);
    expect(parsed).toMatchObject({
      format: 'generic',
      fileName: key,
      problem: expect.stringMatching(problem),
    });
    expect(parsed.takenAt).toBeUndefined();
  });

  it.each([
    'backup-latest.sql.gz',
    'qawave_20260130_020000.dump.manifest.json',
    'postgresql/daily/',
    'x',
  ])('treats %p as generic without a problem', key => {
    const parsed = parseBackupKey(key);
    expect(parsed.format).toBe('generic');
    expect(parsed.problem).toBeUndefined();
    expect(parsed.takenAt).toBeUndefined();
  });

  it('rejects an unknown time zone', () => {
    expect(() =>
      parseBackupKey('qawave_20260130_020000.dump', {
        timeZone: 'Nowhere/City',
      }),
    ).toThrow(/"Nowhere\/City" is not a known IANA time zone/);
  });
});

describe('formatBackupKey', () => {
  it('writes the runbook naming in UTC and parses back', () => {
    const at = new Date('2026-01-30T02:00:07.345Z');
    const key = formatBackupKey('postgresql/daily/', 'qawave', at);
    expect(key).toBe('postgresql/daily/qawave_20260130_020007.dump');
    expect(parseBackupKey(key).takenAt).toBe('2026-01-30T02:00:07.000Z');
  });
});

describe('checkBackupKey', () => {
  const prefix = 'postgresql/daily/';
  it('accepts an object directly under the prefix', () => {
    expect(
      checkBackupKey('postgresql/daily/qawave_20260130_020000.dump', prefix),
    ).toBeUndefined();
    expect(checkBackupKey('x.dump', '')).toBeUndefined();
  });
  it.each([
    [
      'postgresql/other/qawave_20260130_020000.dump',
      /not under this database's prefix "postgresql\/daily\/"/,
    ],
    [
      'postgresql/daily/../../secrets/creds',
      /without empty, "." or ".." segments/,
    ],
    ['postgresql/daily/', /must name an object/],
    ['postgresql/daily//x.dump', /must name an object/],
    ['postgresql/daily/sub/x.dump', /sub-folder/],
    ['postgresql/daily/a\nb.dump', /control characters/],
    ['postgresql/daily/a\\..\\b.dump', /control characters or '\\'/],
    [
      `postgresql/daily/${'é'.repeat(600)}.dump`,
      /longer than S3's limit of 1024 bytes/,
    ],
    ['../postgresql/daily/x.dump', /not under this database's prefix/],
  ])('rejects %p', (key, message) => {
    expect(checkBackupKey(key, prefix)).toMatch(message);
  });
});
