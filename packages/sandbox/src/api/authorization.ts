import { forbidden, unauthorized } from './errors';

/** One permission: verbs on resources (e.g. `jobs`, `pods/log`, `deployments/scale`) in namespaces. */
export interface AccessRule {
  /** Namespaces the rule applies to; absent or `*` means all (cluster scope included). */
  namespaces?: string[];
  /** API groups (`''` for core); absent or `*` means all. */
  apiGroups?: string[];
  /** Resources, with `/subresource` where relevant; absent or `*` means all. */
  resources?: string[];
  /** Verbs (`get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`); absent or `*` means all. */
  verbs?: string[];
  /** Object names; absent means all. */
  resourceNames?: string[];
}

/** A bearer token the sandbox accepts, the user it stands for, and what that user may do. */
export interface TokenGrant {
  /** The bearer token. */
  token: string;
  /** User name shown in 403 messages, e.g. `system:serviceaccount:qawave:pg-backup-portal`. */
  user: string;
  /** Rules; absent means cluster admin. */
  rules?: AccessRule[];
}

/** What a request asks to do. */
export interface AccessRequest {
  verb: string;
  apiGroup: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

const allows = (list: string[] | undefined, value: string) =>
  !list || list.includes('*') || list.includes(value);

/** Authenticates bearer tokens and authorizes requests against per-token rules (RBAC-like). */
export class Authorizer {
  constructor(private readonly grants: TokenGrant[] | undefined) {}

  /** The grant for an Authorization header; throws 401 when auth is on and the token is unknown. */
  authenticate(header: string | undefined): TokenGrant | undefined {
    if (!this.grants) return undefined;
    const token = /^Bearer\s+(.+)$/i.exec(header ?? '')?.[1]?.trim();
    const grant = token ? this.grants.find(g => g.token === token) : undefined;
    if (!grant) throw unauthorized();
    return grant;
  }

  /** Throws 403 Forbidden unless the grant allows the request. */
  authorize(grant: TokenGrant | undefined, request: AccessRequest): void {
    if (!grant?.rules) return;
    const resource = request.subresource
      ? `${request.resource}/${request.subresource}`
      : request.resource;
    const allowed = grant.rules.some(
      rule =>
        allows(rule.verbs, request.verb) &&
        allows(rule.apiGroups, request.apiGroup) &&
        allows(rule.resources, resource) &&
        (request.namespace === undefined
          ? !rule.namespaces || rule.namespaces.includes('*')
          : allows(rule.namespaces, request.namespace)) &&
        (!rule.resourceNames ||
          (request.name !== undefined &&
            rule.resourceNames.includes(request.name))),
    );
    if (!allowed) {
      throw forbidden(
        grant.user,
        request.verb,
        resource,
        request.apiGroup,
        request.namespace,
        request.name,
      );
    }
  }
}
