import { authServiceFactory } from '@backstage/backend-defaults/auth';
import { httpAuthServiceFactory } from '@backstage/backend-defaults/httpAuth';
import { permissionsServiceFactory } from '@backstage/backend-defaults/permissions';
import { userInfoServiceFactory } from '@backstage/backend-defaults/userInfo';
import { createBackendModule } from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import authPlugin from '@backstage/plugin-auth-backend';
import guestProvider from '@backstage/plugin-auth-backend-module-guest-provider';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import {
  catalogConditions,
  createCatalogConditionalDecision,
} from '@backstage/plugin-catalog-backend/alpha';
import permissionPlugin from '@backstage/plugin-permission-backend';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { JsonObject } from '@backstage/types';
import request from 'supertest';
import { pgBackupPlugin } from './plugin';
import { TestWorld, USERS } from './__testUtils__/testWorld';

jest.setTimeout(120_000);

/** Only an entity's owners may back it up: the catalog's own isEntityOwner rule. */
const ownersMayTrigger = createBackendModule({
  pluginId: 'permission',
  moduleId: 'owners-may-trigger',
  register(reg) {
    reg.registerInit({
      deps: { policy: policyExtensionPoint },
      async init({ policy }) {
        policy.setPolicy({
          async handle(req, user) {
            if (req.permission.name !== 'pg-backup.backup.create')
              return { result: AuthorizeResult.ALLOW };
            return createCatalogConditionalDecision(
              req.permission as any,
              catalogConditions.isEntityOwner({
                claims: user?.info.ownershipEntityRefs ?? [],
              }),
            );
          },
        });
      },
    });
  },
});

// Real auth services (not the mocks): a conditional decision is resolved by the permission
// backend calling the catalog's apply-conditions endpoint with real service tokens.
describe('catalog conditional permissions on pg-backup routes', () => {
  let world: TestWorld;
  let backend: Awaited<ReturnType<typeof startTestBackend>>;

  beforeAll(async () => {
    world = await TestWorld.start();
    backend = await startTestBackend({
      features: [
        pgBackupPlugin,
        catalogPlugin,
        permissionPlugin,
        ownersMayTrigger,
        authPlugin,
        guestProvider,
        authServiceFactory,
        httpAuthServiceFactory,
        userInfoServiceFactory,
        permissionsServiceFactory,
        mockServices.rootConfig.factory({
          data: {
            ...(world.config() as JsonObject),
            auth: {
              providers: {
                guest: {
                  userEntityRef: USERS.owner,
                  dangerouslyAllowOutsideDevelopment: true,
                },
              },
            },
          },
        }),
      ],
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await world?.stop();
  });

  it('lets the owner back up their database and refuses them on somebody else’s', async () => {
    const session = await request(backend.server)
      .get('/api/auth/guest/refresh')
      .set('X-Requested-With', 'XMLHttpRequest');
    expect(session.status).toBe(200);
    const auth = `Bearer ${session.body.backstageIdentity.token}`;

    // The catalog reads the entities file asynchronously.
    let own;
    for (let i = 0; i < 100; i++) {
      own = await request(backend.server)
        .post(
          '/api/pg-backup/entities/resource/default/qawave-postgresql/backups',
        )
        .set('Authorization', auth);
      if (own.status !== 404 && own.status !== 403) break;
      await new Promise(r => setTimeout(r, 200));
    }
    expect(own?.status).toBe(202);

    const theirs = await request(backend.server)
      .post(
        '/api/pg-backup/entities/resource/default/orders-postgresql/backups',
      )
      .set('Authorization', auth);
    expect(theirs.status).toBe(403);
    expect(theirs.body.error.message).toContain('pg-backup.backup.create');

    const unauthenticated = await request(backend.server).post(
      '/api/pg-backup/entities/resource/default/qawave-postgresql/backups',
    );
    expect(unauthenticated.status).toBe(401);
  });
});
