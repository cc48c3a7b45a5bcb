import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { pgBackupApiRef } from './api/PgBackupApi';
import { PgBackupClient } from './api/PgBackupClient';

/** The pg-backup frontend plugin (classic frontend system). */
export const pgBackupPlugin = createPlugin({
  id: 'pg-backup',
  apis: [
    createApiFactory({
      api: pgBackupApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: deps => new PgBackupClient(deps),
    }),
  ],
});

/** Backup-health card for the overview of database entities. */
export const EntityPgBackupHealthCard = pgBackupPlugin.provide(
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
