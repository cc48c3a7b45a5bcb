import {
  BackstageCredentials,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  BasicPermission,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import { Request } from 'express';
import { EntityTargets, ResolvedTarget } from './EntityTargets';

/** The permission backend's request body limit allows about this many decisions per call. */
const AUTHORIZE_BATCH = 200;

/** A resource permission on the database's catalog entity. */
export type EntityPermission = ResourcePermission<'catalog-entity'>;

const chunks = <T>(list: T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(list.length / size) }, (_, i) =>
    list.slice(i * size, (i + 1) * size),
  );

/** Who a request acts for: the user entity ref, or the service's subject. */
export function requesterOf(credentials: BackstageCredentials): string {
  const principal = credentials.principal as {
    userEntityRef?: string;
    subject?: string;
  };
  return principal.userEntityRef ?? principal.subject ?? 'unknown';
}

/** Who may call a route: people (`user`, also when a plugin acts on their behalf) and/or backend services. */
export type PrincipalType = 'user' | 'service';

const USERS_AND_SERVICES: PrincipalType[] = ['user', 'service'];

/**
 * Reads a request's credentials and checks pg-backup permissions: on the entity in the URL
 * (then resolving it to its target), on an entity named by a stored record (an operation's or
 * an approval's), or a basic permission. Routes accept users and services unless they say
 * otherwise; a service principal passes every permission check (the permission framework
 * decides for services from their access restrictions only), so routes that act for a person
 * accept `user` alone.
 */
export class RequestAuthorizer {
  constructor(
    private readonly httpAuth: HttpAuthService,
    private readonly permissions: PermissionsService,
    private readonly targets: EntityTargets,
  ) {}

  /**
   * The caller's credentials: a user (directly, or a plugin acting on their behalf), or a
   * service acting for itself. Other principal types than `allow` are refused (403).
   */
  credentials(
    req: Request,
    allow: PrincipalType[] = USERS_AND_SERVICES,
  ): Promise<BackstageCredentials> {
    return this.httpAuth.credentials(req, { allow });
  }

  /** Authorizes a permission on the URL's entity, then resolves the entity and its target. */
  async entity(
    req: Request,
    permission: EntityPermission,
    allow: PrincipalType[] = USERS_AND_SERVICES,
  ): Promise<ResolvedTarget & { credentials: BackstageCredentials }> {
    const ref = EntityTargets.parseRef(
      req.params.kind,
      req.params.namespace,
      req.params.name,
    );
    const credentials = await this.onEntityRef(
      req,
      permission,
      stringifyEntityRef(ref),
      allow,
    );
    return { ...(await this.targets.resolve(ref)), credentials };
  }

  /** Authorizes a permission on an entity named by a stored record. */
  async onEntityRef(
    req: Request,
    permission: EntityPermission,
    entityRef: string,
    allow: PrincipalType[] = USERS_AND_SERVICES,
  ): Promise<BackstageCredentials> {
    const credentials = await this.credentials(req, allow);
    await this.authorizeOn(credentials, permission, entityRef);
    return credentials;
  }

  /** Authorizes a permission on an entity for credentials already read (403 when refused). */
  async authorizeOn(
    credentials: BackstageCredentials,
    permission: EntityPermission,
    entityRef: string,
  ): Promise<void> {
    const [decision] = await this.permissions.authorize(
      [{ permission, resourceRef: entityRef }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW)
      throw new NotAllowedError(
        `not allowed to ${permission.name} on ${entityRef}`,
      );
  }
  /** Authorizes a basic (not entity) permission. */
  async basic(
    req: Request,
    permission: BasicPermission,
    allow: PrincipalType[] = USERS_AND_SERVICES,
  ): Promise<BackstageCredentials> {
    const credentials = await this.credentials(req, allow);
    const [decision] = await this.permissions.authorize([{ permission }], {
      credentials,
    });
    if (decision.result !== AuthorizeResult.ALLOW)
      throw new NotAllowedError(`not allowed to ${permission.name}`);
    return credentials;
  }

  /**
   * Which of the entities the caller has a permission on, decided per entity (conditional
   * rules included), in batches the permission backend accepts.
   */
  async allowed(
    credentials: BackstageCredentials,
    permission: EntityPermission,
    entityRefs: string[],
  ): Promise<boolean[]> {
    const decisions = (
      await Promise.all(
        chunks(entityRefs, AUTHORIZE_BATCH).map(chunk =>
          this.permissions.authorize(
            chunk.map(resourceRef => ({ permission, resourceRef })),
            { credentials },
          ),
        ),
      )
    ).flat();
    return decisions.map(d => d.result === AuthorizeResult.ALLOW);
  }
}
