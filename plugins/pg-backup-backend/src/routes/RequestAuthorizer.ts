import {
  AuthService,
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
import { EntityTargets, ResolvedTarget } from '../catalog/EntityTargets';

/** The permission backend's request body limit allows about this many decisions per call. */
const AUTHORIZE_BATCH = 200;

/** A resource permission on the database's catalog entity. */
export type EntityPermission = ResourcePermission<'catalog-entity'>;

const chunks = <T>(list: T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(list.length / size) }, (_, i) =>
    list.slice(i * size, (i + 1) * size),
  );

/** Who may call a route: people (`user`, also when a plugin acts on their behalf) and/or backend services. */
export type PrincipalType = 'user' | 'service';

/** Routes that act for a person: operations, requests and decisions are recorded under people. */
export const PEOPLE: PrincipalType[] = ['user'];

/** Routes that also answer backend services (trusted ones, or reads a service may make). */
export const PEOPLE_AND_SERVICES: PrincipalType[] = ['user', 'service'];

/** What a {@link RequestAuthorizer} is built from. */
export interface RequestAuthorizerOptions {
  auth: AuthService;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  targets: EntityTargets;
  /**
   * Service subjects (`pgBackup.recovery.trustedServices`, default `plugin:scaffolder`) that may
   * start an operation an approval covers, for the approval's requester, read operations and
   * follow Job logs.
   */
  trustedServices: string[];
}

/**
 * Reads a request's credentials and checks pg-backup permissions: on the entity in the URL
 * (then resolving it to its target), on an entity named by a stored record (an operation's or
 * an approval's), or a basic permission. Routes accept users and services unless they say
 * otherwise; a service principal passes every permission check (the permission framework
 * decides for services from their access restrictions only), so routes that act for a person
 * accept `user` alone.
 */
export class RequestAuthorizer {
  private readonly auth: AuthService;
  private readonly httpAuth: HttpAuthService;
  private readonly permissions: PermissionsService;
  private readonly targets: EntityTargets;
  private readonly trustedServices: string[];

  constructor(options: RequestAuthorizerOptions) {
    this.auth = options.auth;
    this.httpAuth = options.httpAuth;
    this.permissions = options.permissions;
    this.targets = options.targets;
    this.trustedServices = options.trustedServices;
  }

  /** Who a request acts for: the user entity ref, or the service's subject. */
  requester(credentials: BackstageCredentials): string {
    if (this.auth.isPrincipal(credentials, 'user'))
      return credentials.principal.userEntityRef;
    if (this.auth.isPrincipal(credentials, 'service'))
      return credentials.principal.subject;
    return 'unknown';
  }

  /**
   * The subject of a trusted service (`pgBackup.recovery.trustedServices`), undefined for a
   * person; 403 naming the setting for any other service.
   */
  trustedService(
    credentials: BackstageCredentials,
    what: string,
  ): string | undefined {
    if (!this.auth.isPrincipal(credentials, 'service')) return undefined;
    const subject = credentials.principal.subject;
    if (!this.trustedServices.includes(subject))
      throw new NotAllowedError(
        `service ${subject} may not ${what}; only a person, or a service listed in pgBackup.recovery.trustedServices (${
          this.trustedServices.join(', ') || 'none'
        }), may`,
      );
    return subject;
  }

  /**
   * The caller's credentials: a user (directly, or a plugin acting on their behalf), or a
   * service acting for itself. Other principal types than `allow` are refused (403).
   */
  credentials(
    req: Request,
    allow: PrincipalType[] = PEOPLE_AND_SERVICES,
  ): Promise<BackstageCredentials> {
    return this.httpAuth.credentials(req, { allow });
  }

  /** Authorizes a permission on the URL's entity, then resolves the entity and its target. */
  async entity(
    req: Request,
    permission: EntityPermission,
    allow: PrincipalType[] = PEOPLE_AND_SERVICES,
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
    allow: PrincipalType[] = PEOPLE_AND_SERVICES,
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
    allow: PrincipalType[] = PEOPLE_AND_SERVICES,
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
