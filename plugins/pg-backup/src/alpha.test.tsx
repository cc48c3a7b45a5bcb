import { Entity } from '@backstage/catalog-model';
import { coreExtensionData } from '@backstage/frontend-plugin-api';
import { createExtensionTester } from '@backstage/frontend-test-utils';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import { FormFieldBlueprint } from '@backstage/plugin-scaffolder-react/alpha';
import pgBackupPlugin from './alpha';
import {
  pgBackupEntityContent,
  pgBackupFleetPage,
  pgBackupHealthCard,
  pgBackupPickerField,
} from './extensions';
import { backupPickerFormField } from './components/BackupPicker/formField';

const entity = (
  annotations: Record<string, string>,
  kind = 'Resource',
  type = 'database',
): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind,
  metadata: { name: 'db', annotations },
  spec: { type },
});
const annotated = entity({
  'pg-backup.io/backup-cronjob': 'postgresql-backup',
});

describe('pg-backup for the new frontend system', () => {
  it('is one plugin with the API, card, tab, page and form field', () => {
    expect(pgBackupPlugin.id).toBe('pg-backup');
  });

  it('shows the health card on annotated entities and on every database resource', () => {
    const filter = createExtensionTester(pgBackupHealthCard).get(
      EntityCardBlueprint.dataRefs.filterFunction,
    ) as ((e: Entity) => boolean) | undefined;
    if (!filter) throw new Error('the card has no filter function');
    expect(filter(annotated)).toBe(true);
    expect(filter(entity({}))).toBe(true);
    expect(filter(entity({}, 'Resource', 's3-bucket'))).toBe(false);
    expect(filter(entity({}, 'Component', 'service'))).toBe(false);
  });

  it('adds the Backups tab only where pg-backup annotations are', () => {
    const tester = createExtensionTester(pgBackupEntityContent);
    expect(tester.get(EntityContentBlueprint.dataRefs.title)).toBe('Backups');
    expect(tester.get(coreExtensionData.routePath)).toBe('backups');
    const filter = tester.get(
      EntityContentBlueprint.dataRefs.filterFunction,
    ) as ((e: Entity) => boolean) | undefined;
    if (!filter) throw new Error('the tab has no filter function');
    expect(filter(annotated)).toBe(true);
    expect(filter(entity({}))).toBe(false);
  });

  it('mounts the fleet page at /pg-backup with a title for the sidebar', () => {
    const tester = createExtensionTester(pgBackupFleetPage);
    expect(tester.get(coreExtensionData.routePath)).toBe('/pg-backup');
    expect(tester.get(coreExtensionData.title)).toBe('Backups');
  });

  it('provides the BackupPicker form field', async () => {
    const loader = createExtensionTester(pgBackupPickerField).get(
      FormFieldBlueprint.dataRefs.formFieldLoader,
    ) as () => Promise<unknown>;
    expect(await loader()).toBe(backupPickerFormField);
  });
});
