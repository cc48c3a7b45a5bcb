import { ReactNode } from 'react';
import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { createScaffolderFieldExtension } from '@backstage/plugin-scaffolder-react';
import { pgBackupApiRef } from './api/PgBackupApi';
import { PgBackupClient } from './api/PgBackupClient';
import {
  BackupPicker,
  BackupPickerUiOptions,
  backupPickerValidation,
} from './components/BackupPicker';
import { entityContentRouteRef, rootRouteRef } from './routes';

/**
 * The pg-backup frontend plugin (classic frontend system).
 *
 * @public
 */
export const pgBackupPlugin = createPlugin({
  id: 'pg-backup',
  apis: [
    createApiFactory({
      api: pgBackupApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: deps => new PgBackupClient(deps),
    }),
  ],
  routes: { root: rootRouteRef, entityContent: entityContentRouteRef },
});

/**
 * Backup-health card for the overview of database entities.
 *
 * @public
 */
export const EntityPgBackupHealthCard: () => JSX.Element =
  pgBackupPlugin.provide(
    createComponentExtension({
      name: 'EntityPgBackupHealthCard',
      component: {
        lazy: () =>
          import('./components/EntityPgBackupHealthCard').then(
            m => m.EntityPgBackupHealthCard,
          ),
      },
    }),
  );

/**
 * The "Backups" tab of database entities: backups, jobs and logs, storage policy.
 *
 * @public
 */
export const EntityPgBackupContent: (props: {
  children?: ReactNode;
}) => JSX.Element = pgBackupPlugin.provide(
  createRoutableExtension({
    name: 'EntityPgBackupContent',
    mountPoint: entityContentRouteRef,
    component: () =>
      import('./components/EntityPgBackupContent').then(
        m => m.EntityPgBackupContent,
      ),
  }),
);

/**
 * The fleet dashboard: every annotated database, compliance, CSV export.
 *
 * @public
 */
export const PgBackupFleetPage: () => JSX.Element = pgBackupPlugin.provide(
  createRoutableExtension({
    name: 'PgBackupFleetPage',
    mountPoint: rootRouteRef,
    component: () =>
      import('./components/PgBackupFleetPage').then(m => m.PgBackupFleetPage),
  }),
);

/**
 * Scaffolder field `ui:field: BackupPicker`: a database's backups, newest first.
 *
 * @public
 */
export const BackupPickerFieldExtension = pgBackupPlugin.provide(
  createScaffolderFieldExtension<string, BackupPickerUiOptions>({
    name: 'BackupPicker',
    component: BackupPicker,
    validation: backupPickerValidation,
  }),
);
