import { ConfigReader } from '@backstage/config';
import { readPgBackupConfig } from './PgBackupConfig';

const read = (pgBackup?: object) =>
  readPgBackupConfig(new ConfigReader(pgBackup ? { pgBackup } : {}));

describe('readPgBackupConfig', () => {
  it('refreshes every 5 minutes and lets one refresh hold the task that long without a pgBackup section', () => {
    const settings = read();
    expect(settings.refreshIntervalMs).toBe(300_000);
    expect(settings.refreshTimeoutMs).toBe(300_000);
  });

  it('bounds a refresh by the refresh interval unless refreshTimeout says otherwise', () => {
    expect(read({ refreshInterval: { minutes: 2 } }).refreshTimeoutMs).toBe(
      120_000,
    );
    expect(
      read({
        refreshInterval: { minutes: 2 },
        refreshTimeout: { seconds: 30 },
      }).refreshTimeoutMs,
    ).toBe(30_000);
  });

  it('names the setting and the bad value', () => {
    expect(() => read({ refreshConcurrency: 0 })).toThrow(
      'pgBackup.refreshConcurrency must be an integer from 1 to 256, got 0',
    );
  });
});
