/**
 * The pg-backup portal's backend: a standard Backstage 1.55 backend (new backend system) that
 * hosts the pg-backup plugins next to catalog, scaffolder, permissions, notifications and search.
 */
import { createBackend } from '@backstage/backend-defaults';
import { portalPermissionPolicyModule } from './permissionPolicy';
import { portalRootHttpRouter } from './rootHttpRouter';

const backend = createBackend();

// Error bodies without stack traces, and JSON for requests Node.js cannot parse.
backend.add(portalRootHttpRouter);

backend.add(import('@backstage/plugin-app-backend'));

backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));

backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(
  import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'),
);
backend.add(import('@backstage/plugin-catalog-backend-module-logs'));

backend.add(import('@backstage/plugin-scaffolder-backend'));
backend.add(
  import('@backstage/plugin-scaffolder-backend-module-notifications'),
);
// pg-backup:* actions: restore, verify, emergency recovery, drills and approvals.
backend.add(
  import('@pg-backup/backstage-plugin-scaffolder-backend-module-pg-backup'),
);

// pg-backup's roles (guest, other team, owner, approver, admin; see the README's Security
// section) inside the portal's own policy, which allows every other plugin's permissions.
backend.add(import('@backstage/plugin-permission-backend'));
backend.add(portalPermissionPolicyModule);

backend.add(import('@backstage/plugin-search-backend'));
backend.add(import('@backstage/plugin-search-backend-module-pg'));
backend.add(import('@backstage/plugin-search-backend-module-catalog'));

backend.add(import('@backstage/plugin-user-settings-backend'));
backend.add(import('@backstage/plugin-notifications-backend'));
backend.add(import('@backstage/plugin-signals-backend'));

// pg-backup
backend.add(import('@pg-backup/backstage-plugin-pg-backup-backend'));

backend.start();
