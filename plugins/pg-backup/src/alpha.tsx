import { discoveryApiRef, fetchApiRef } from '@backstage/core-plugin-api';
import {
  ApiBlueprint,
  ExtensionDefinition,
  FrontendPlugin,
  createFrontendPlugin,
} from '@backstage/frontend-plugin-api';
import { EntityCardBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { isPgBackupAvailable } from '@internal/plugin-pg-backup-common';
import { pgBackupApiRef } from './api/PgBackupApi';
import { PgBackupClient } from './api/PgBackupClient';

/** The pg-backup API for the new frontend system. */
export const pgBackupApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: pgBackupApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: deps => new PgBackupClient(deps),
    }),
});

/** The backup-health card, on the overview of entities with pg-backup annotations. */
// Typed explicitly: the catalog's blueprint types name a nested catalog-model copy.
export const pgBackupHealthCard: ExtensionDefinition<any> =
  EntityCardBlueprint.make({
    name: 'health',
    params: {
      filter: isPgBackupAvailable,
      loader: () =>
        import('./components/EntityPgBackupHealthCard').then(m => (
          <m.EntityPgBackupHealthCard />
        )),
    },
  });

/** pg-backup as a new-frontend-system feature: adding the package to the app installs it. */
const pgBackupPlugin: FrontendPlugin = createFrontendPlugin({
  pluginId: 'pg-backup',
  extensions: [pgBackupApi, pgBackupHealthCard],
});
export default pgBackupPlugin;
