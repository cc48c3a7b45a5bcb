import { isResourcePermission } from '@backstage/plugin-permission-common';
import {
  pgBackupFleetReadPermission,
  pgBackupPermissions,
  pgBackupTriggerPermission,
} from './permissions';

describe('pg-backup permissions', () => {
  it('have unique dotted names under pg-backup', () => {
    const names = pgBackupPermissions.map(p => p.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names)
      expect(name).toMatch(/^pg-backup\.[a-z]+\.[a-z]+$/);
  });

  it('checks entity actions against the catalog entity so catalog conditional rules apply', () => {
    expect(
      isResourcePermission(pgBackupTriggerPermission, 'catalog-entity'),
    ).toBe(true);
    expect(isResourcePermission(pgBackupFleetReadPermission)).toBe(false);
  });
});
