import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import {
  AuthorizePermissionRequest,
  AuthorizeResult,
  PolicyDecision,
  QueryPermissionRequest,
} from '@backstage/plugin-permission-common';
import { PermissionsService } from '@backstage/backend-plugin-api';
import { pgBackupReadPermission } from '@pg-backup/backstage-plugin-pg-backup-common';
import { EntityTargets } from '../catalog/EntityTargets';
import { RequestAuthorizer } from './RequestAuthorizer';

/** A permission service whose policy answers `decision`, counting what it is asked. */
function permissionsDeciding(decision: PolicyDecision) {
  const asked = { conditional: 0, perEntity: 0 };
  const permissions: PermissionsService = {
    async authorizeConditional(queries: QueryPermissionRequest[]) {
      asked.conditional += queries.length;
      return queries.map(() => decision) as any;
    },
    async authorize(requests: AuthorizePermissionRequest[]) {
      asked.perEntity += requests.length;
      // the owner rule as the permission backend applies it: only team-a's databases
      return requests.map(r => ({
        result: r.resourceRef?.includes('team-a')
          ? AuthorizeResult.ALLOW
          : AuthorizeResult.DENY,
      }));
    },
  };
  return { permissions, asked };
}

const authorizer = (permissions: PermissionsService) =>
  new RequestAuthorizer({
    auth: mockServices.auth(),
    httpAuth: mockServices.httpAuth(),
    permissions,
    targets: {} as EntityTargets,
    trustedServices: [],
  });

const refs = Array.from(
  { length: 450 },
  (_, i) => `resource:default/db-${i}-team-${i % 3 === 0 ? 'a' : 'b'}`,
);

describe('RequestAuthorizer.allowed', () => {
  it('applies an unconditional ALLOW or DENY to every entity from one decision', async () => {
    for (const result of [AuthorizeResult.ALLOW, AuthorizeResult.DENY]) {
      const { permissions, asked } = permissionsDeciding({ result });
      const allowed = await authorizer(permissions).allowed(
        mockCredentials.user(),
        pgBackupReadPermission,
        refs,
      );
      expect(allowed).toEqual(refs.map(() => result === AuthorizeResult.ALLOW));
      expect(asked).toEqual({ conditional: 1, perEntity: 0 });
    }
  });

  it('decides a conditional decision per entity, in batches', async () => {
    const { permissions, asked } = permissionsDeciding({
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'catalog',
      resourceType: 'catalog-entity',
      conditions: {
        rule: 'IS_ENTITY_OWNER',
        resourceType: 'catalog-entity',
        params: { claims: ['group:default/team-a'] },
      },
    });
    const allowed = await authorizer(permissions).allowed(
      mockCredentials.user(),
      pgBackupReadPermission,
      refs,
    );
    expect(allowed).toEqual(refs.map(ref => ref.endsWith('team-a')));
    expect(asked).toEqual({ conditional: 1, perEntity: refs.length });
  });

  it('asks nothing for no entities', async () => {
    const { permissions, asked } = permissionsDeciding({
      result: AuthorizeResult.ALLOW,
    });
    expect(
      await authorizer(permissions).allowed(
        mockCredentials.user(),
        pgBackupReadPermission,
        [],
      ),
    ).toEqual([]);
    expect(asked).toEqual({ conditional: 0, perEntity: 0 });
  });
});
