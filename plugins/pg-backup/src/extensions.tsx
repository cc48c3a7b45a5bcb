import { Entity } from '@backstage/catalog-model';
import { discoveryApiRef, fetchApiRef } from '@backstage/core-plugin-api';
import { convertLegacyRouteRefs } from '@backstage/core-compat-api';
import {
  ApiBlueprint,
  ExtensionDefinition,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import { FormFieldBlueprint } from '@backstage/plugin-scaffolder-react/alpha';
import StorageIcon from '@material-ui/icons/Storage';
import { isPgBackupAvailable } from '@pg-backup/backstage-plugin-pg-backup-common';
import { pgBackupApiRef } from './api/PgBackupApi';
import { PgBackupClient } from './api/PgBackupClient';
import { entityContentRouteRef, rootRouteRef } from './routes';

/** The plugin's routes, converted for the new frontend system. */
export const routes = convertLegacyRouteRefs({
  root: rootRouteRef,
  entityContent: entityContentRouteRef,
});

/** The pg-backup API for the new frontend system. */
export const pgBackupApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: pgBackupApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: deps => new PgBackupClient(deps),
    }),
});

/**
 * Where the health card shows: entities with pg-backup annotations, and every `Resource` of type
 * `database`, where it explains which annotation to add.
 */
export function showsHealthCard(entity: Entity): boolean {
  return (
    isPgBackupAvailable(entity) ||
    (entity.kind.toLocaleLowerCase('en-US') === 'resource' &&
      (entity.spec as { type?: unknown } | undefined)?.type === 'database')
  );
}

/** The backup-health card, on the overview of database entities. */
// Typed explicitly: the catalog's blueprint types name a nested catalog-model copy.
export const pgBackupHealthCard: ExtensionDefinition<any> =
  EntityCardBlueprint.make({
    name: 'health',
    params: {
      filter: showsHealthCard,
      loader: () =>
        import('./components/EntityPgBackupHealthCard').then(m => (
          <m.EntityPgBackupHealthCard />
        )),
    },
  });

/** The "Backups" tab on entities with pg-backup annotations. */
export const pgBackupEntityContent: ExtensionDefinition<any> =
  EntityContentBlueprint.make({
    name: 'backups',
    params: {
      path: 'backups',
      title: 'Backups',
      filter: isPgBackupAvailable,
      routeRef: routes.entityContent,
      loader: () =>
        import('./components/EntityPgBackupContent').then(m => (
          <m.EntityPgBackupContent />
        )),
    },
  });

/** The fleet page at `/pg-backup`, with its item in the sidebar. */
export const pgBackupFleetPage: ExtensionDefinition<any> = PageBlueprint.make({
  params: {
    path: '/pg-backup',
    title: 'Backups',
    icon: <StorageIcon />,
    routeRef: routes.root,
    loader: () =>
      import('./components/PgBackupFleetPage').then(m => (
        <m.PgBackupFleetPage />
      )),
  },
});

/** The `BackupPicker` scaffolder form field. */
export const pgBackupPickerField: ExtensionDefinition<any> =
  FormFieldBlueprint.make({
    name: 'backup-picker',
    params: {
      field: () =>
        import('./components/BackupPicker/formField').then(
          m => m.backupPickerFormField,
        ),
    },
  });
