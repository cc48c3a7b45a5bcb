import { DEFAULT_BACKUP_OBJECTIVES } from '@pg-backup/backstage-plugin-pg-backup-common';
import { describeDrill } from './BackupFactsLine';

describe('describeDrill', () => {
  const performedAt = '2026-09-01T10:00:00.000Z';

  it('flags a measured recovery time over the RTO objective', () => {
    expect(
      describeDrill(
        { performedAt, passed: true, measuredRtoMs: 5 * 3_600_000 },
        DEFAULT_BACKUP_OBJECTIVES,
      ),
    ).toContain('· passed · RTO 5h of 4h (exceeded) ·');
  });

  it('says when a failed drill measured no recovery time', () => {
    expect(
      describeDrill({ performedAt, passed: false }, DEFAULT_BACKUP_OBJECTIVES),
    ).toContain('· failed · RTO not measured ·');
  });
});
