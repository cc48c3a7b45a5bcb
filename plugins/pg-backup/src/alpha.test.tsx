import { Entity } from '@backstage/catalog-model';
import { createExtensionTester } from '@backstage/frontend-test-utils';
import { EntityCardBlueprint } from '@backstage/plugin-catalog-react/alpha';
import pgBackupPlugin, { pgBackupHealthCard } from './alpha';

const entity = (annotations: Record<string, string>): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Resource',
  metadata: { name: 'db', annotations },
  spec: { type: 'database' },
});

describe('pg-backup for the new frontend system', () => {
  it('is one plugin with the API and the health card', () => {
    expect(pgBackupPlugin.id).toBe('pg-backup');
  });

  it('shows the health card only on entities with pg-backup annotations', () => {
    const tester = createExtensionTester(pgBackupHealthCard);
    const filter = tester.get(EntityCardBlueprint.dataRefs.filterFunction) as
      | ((e: Entity) => boolean)
      | undefined;
    if (!filter) throw new Error('the card has no filter function');
    expect(
      filter(entity({ 'pg-backup.io/backup-cronjob': 'postgresql-backup' })),
    ).toBe(true);
    expect(filter(entity({}))).toBe(false);
  });
});
