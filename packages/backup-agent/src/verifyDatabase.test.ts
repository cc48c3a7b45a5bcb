import type { BackupManifest } from './manifest';
import {
  compareWithManifest,
  formatTerminationMessage,
} from './verifyDatabase';

const manifest = {
  tableCount: 2,
  rowCounts: { 'public.a': 10, 'public.b': 5 },
  flywayVersion: '7',
} as unknown as BackupManifest;

describe('compareWithManifest', () => {
  it('passes when everything matches', () => {
    const checks = compareWithManifest(manifest, {
      serverVersion: '15',
      tables: ['public.a', 'public.b'],
      rowCounts: { 'public.a': 10, 'public.b': 5 },
      flywayVersion: '7',
    });
    expect(checks.map(c => c.name)).toEqual([
      'tableCount',
      'rows:public.a',
      'rows:public.b',
      'flywayVersion',
    ]);
    expect(checks.every(c => c.passed)).toBe(true);
  });

  it('reports missing and extra tables, wrong counts and versions', () => {
    const checks = compareWithManifest(manifest, {
      serverVersion: '15',
      tables: ['public.a', 'public.c'],
      rowCounts: { 'public.a': 9, 'public.c': 1 },
      flywayVersion: '6',
    });
    expect(checks.filter(c => !c.passed)).toEqual([
      { name: 'rows:public.a', expected: 10, actual: 9, passed: false },
      { name: 'rows:public.b', expected: 5, actual: null, passed: false },
      { name: 'rows:public.c', expected: null, actual: 1, passed: false },
      { name: 'flywayVersion', expected: '7', actual: '6', passed: false },
    ]);
  });
});

describe('formatTerminationMessage', () => {
  it('keeps only failed checks when the full report exceeds 4 KiB', () => {
    const checks = Array.from({ length: 200 }, (_, i) => ({
      name: `rows:public.table_${i}`,
      expected: 1,
      actual: i === 7 ? 0 : 1,
      passed: i !== 7,
    }));
    const report = {
      backupKey: 'k',
      database: 'd',
      passed: false,
      checks,
      checkedAt: 'now',
    };
    const message = formatTerminationMessage(report);
    expect(Buffer.byteLength(message)).toBeLessThanOrEqual(4096);
    expect(JSON.parse(message)).toMatchObject({
      checks: [{ name: 'rows:public.table_7', passed: false }],
      omittedPassedChecks: 199,
    });
    expect(
      formatTerminationMessage({ ...report, checks: checks.slice(0, 2) }),
    ).toBe(JSON.stringify({ ...report, checks: checks.slice(0, 2) }));
  });
});
