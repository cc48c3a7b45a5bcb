import { createRouteRef } from '@backstage/core-plugin-api';

/** The fleet page (`/pg-backup` in the example app). */
export const rootRouteRef = createRouteRef({ id: 'pg-backup' });

/** The "Backups" tab of a database entity. */
export const entityContentRouteRef = createRouteRef({
  id: 'pg-backup:entity-content',
});
