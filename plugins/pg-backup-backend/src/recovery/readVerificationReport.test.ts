import {
  describeFailedChecks,
  readVerificationReport,
} from './readVerificationReport';

const report = {
  backupKey: 'postgresql/daily/shop_20261125_020000.dump',
  database: 'shop_verify_0123456789ab',
  passed: false,
  checks: [
    { name: 'tableCount', expected: 3, actual: 3, passed: true },
    { name: 'rows:public.orders', expected: 300, actual: 299, passed: false },
    { name: 'flywayVersion', expected: '2', actual: '2', passed: true },
  ],
  checkedAt: '2026-11-25T10:00:00.000Z',
};

describe('readVerificationReport', () => {
  it('reads the report from the termination message', () => {
    expect(readVerificationReport(JSON.stringify(report), undefined)).toEqual(
      report,
    );
  });

  it('falls back to the last JSON line of the log, with its timestamp', () => {
    const log = [
      '2026-11-25T10:00:00.100Z verify: comparing database "shop" with the manifest',
      '2026-11-25T10:00:00.200Z verify: FAILED: 1 of 3 checks failed',
      `2026-11-25T10:00:00.300Z ${JSON.stringify(report)}`,
    ].join('\n');
    expect(readVerificationReport('', log)).toEqual(report);
  });

  it('ignores an error message and anything not shaped like a report', () => {
    expect(
      readVerificationReport(
        'verify failed: database "x" does not exist',
        '{"key":"k","sizeBytes":1}\nnot json',
      ),
    ).toBeUndefined();
  });

  it('names the failed checks with what was expected', () => {
    expect(describeFailedChecks(report)).toBe(
      '1 of 3 checks failed: rows:public.orders expected 300, got 299',
    );
    expect(
      describeFailedChecks({ ...report, checks: [report.checks[0]] }),
    ).toBe('the 1 check passed');
  });
});
