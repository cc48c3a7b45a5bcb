import http from 'http';
import https from 'https';
import { AddressInfo } from 'net';
import { admitCreate, admitUpdate } from './admission';
import { AccessRequest, Authorizer, TokenGrant } from './authorization';
import { badRequest, notFound, StatusError } from './errors';
import {
  jsonPatch,
  mergePatch,
  PATCH_TYPES,
  strategicMergePatch,
} from './patches';
import { PodLogLine, PodLogSource, noPodLogs } from './podLogs';
import {
  decodeKubernetesProtobuf,
  isKubernetesProtobuf,
  ProtobufDecodeError,
} from './protobuf/decodeKubernetesProtobuf';
import {
  apiGroups,
  apiResourceList,
  findResourceType,
  groupVersion,
  RESOURCE_TYPES,
  ResourceType,
} from './resources';
import { includeObjectOf, toTable, wantsTable } from './tables';
import {
  KubeObject,
  Matcher,
  parseFieldSelector,
  parseLabelSelector,
} from './selectors';
import {
  ObjectStore,
  ResourceVersionTooOld,
  StoreEvent,
} from '../store/ObjectStore';
import { deleteWithDependents } from '../store/garbageCollection';

/** Options of {@link ApiServer}. */
export interface ApiServerOptions {
  /** The objects it serves. */
  store: ObjectStore;
  /** Accepted tokens and their rules; undefined turns authentication off. */
  tokens?: TokenGrant[];
  /** Container logs for `pods/log`. */
  logs?: PodLogSource;
  /** How often a watch that asked for bookmarks gets one. */
  bookmarkIntervalMs?: number;
  /** Largest request body accepted. */
  maxBodyBytes?: number;
  /** Serve HTTPS with this key and certificate (kubectl sends bearer tokens only over TLS). */
  tls?: { key: string; cert: string };
}

const VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-pg-backup-sandbox',
  gitCommit: 'sandbox',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'n/a',
  compiler: 'n/a',
  platform: 'linux/amd64',
};

interface Route {
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** A Kubernetes API server over HTTP on 127.0.0.1, serving the sandbox's {@link ObjectStore}. */
export class ApiServer {
  private readonly server: http.Server | https.Server;
  private readonly authorizer: Authorizer;
  private readonly logs: PodLogSource;
  private readonly openWatches = new Set<http.ServerResponse>();

  constructor(private readonly options: ApiServerOptions) {
    this.authorizer = new Authorizer(options.tokens);
    this.logs = options.logs ?? noPodLogs;
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.handle(req, res).catch(error => this.fail(res, error));
    };
    this.server = options.tls
      ? https.createServer(
          { key: options.tls.key, cert: options.tls.cert },
          handler,
        )
      : http.createServer(handler);
  }

  /** Starts listening on 127.0.0.1 (port 0 picks a free one); returns the base URL. */
  async listen(port = 0): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    return this.url;
  }

  /** The base URL, e.g. `http://127.0.0.1:41234`. */
  get url(): string {
    const address = this.server.address() as AddressInfo;
    return `${this.options.tls ? 'https' : 'http'}://127.0.0.1:${address.port}`;
  }

  /** Stops listening and ends open watches and log streams. */
  async close(): Promise<void> {
    for (const res of this.openWatches) res.end();
    this.server.closeAllConnections();
    await new Promise<void>(resolve => this.server.close(() => resolve()));
  }

  private get store(): ObjectStore {
    return this.options.store;
  }

  private async handle(
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const grant = this.authorizer.authenticate(req.headers.authorization);
    const path = url.pathname.replace(/\/+$/, '') || '/';

    if (req.method === 'GET') {
      const discovery = this.discovery(path);
      if (discovery) {
        this.json(res, 200, discovery);
        return;
      }
    }
    if (path.startsWith('/openapi/') || path === '/swagger.json') {
      throw new StatusError(
        404,
        'NotFound',
        'the server does not serve OpenAPI documents; use --validate=false',
      );
    }
    const route = this.route(path);
    const query = url.searchParams;
    const method = req.method ?? 'GET';
    const verb = this.verb(method, route, query);
    const access: AccessRequest = {
      verb,
      apiGroup: route.type.group,
      resource: route.type.plural,
      subresource: route.subresource,
      namespace: route.namespace,
      name: route.name,
    };
    this.authorizer.authorize(grant, access);
    if (
      route.namespace &&
      route.type.kind !== 'Namespace' &&
      verb !== 'list' &&
      verb !== 'watch'
    ) {
      this.requireNamespace(route.namespace, verb);
    }

    switch (verb) {
      case 'get': {
        if (route.subresource === 'log') {
          this.podLog(route, query, res);
          return;
        }
        const object = this.read(route);
        const asTable = wantsTable(req.headers.accept) && !route.subresource;
        this.json(
          res,
          200,
          asTable
            ? toTable(
                route.type,
                [object as KubeObject],
                String(this.store.resourceVersion),
                Date.now(),
                {},
                includeObjectOf(query.get('includeObject')),
              )
            : object,
        );
        return;
      }
      case 'list': {
        const list = this.list(route, query) as {
          metadata: Record<string, unknown>;
          items: KubeObject[];
        };
        if (wantsTable(req.headers.accept)) {
          const { resourceVersion, ...paging } = list.metadata;
          this.json(
            res,
            200,
            toTable(
              route.type,
              list.items,
              String(resourceVersion),
              Date.now(),
              paging,
              includeObjectOf(query.get('includeObject')),
            ),
          );
        } else {
          this.json(res, 200, list);
        }
        return;
      }
      case 'watch':
        this.watch(route, query, req, res);
        return;
      case 'create':
        this.json(res, 201, this.create(route, await this.body(req), query));
        return;
      case 'update':
        this.json(res, 200, this.replace(route, await this.body(req), query));
        return;
      case 'patch':
        this.json(
          res,
          200,
          this.patch(
            route,
            await this.body(req, true),
            req.headers['content-type'],
            query,
          ),
        );
        return;
      case 'delete':
        this.json(
          res,
          200,
          this.remove(route, await this.optionalBody(req), query),
        );
        return;
      case 'deletecollection':
        this.json(
          res,
          200,
          this.removeCollection(route, await this.optionalBody(req), query),
        );
        return;
      default:
        throw new StatusError(
          405,
          'MethodNotAllowed',
          `the server does not allow this method on the requested resource`,
        );
    }
  }

  private discovery(path: string): Record<string, unknown> | undefined {
    if (path === '/version') return VERSION;
    if (path === '/api') {
      return {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [
          { clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' },
        ],
      };
    }
    if (path === '/apis') {
      return {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: apiGroups().map(name => ({
          name,
          versions: [{ groupVersion: `${name}/v1`, version: 'v1' }],
          preferredVersion: { groupVersion: `${name}/v1`, version: 'v1' },
        })),
      };
    }
    if (path === '/api/v1') return apiResourceList('', 'v1');
    const group = /^\/apis\/([^/]+)$/.exec(path);
    if (group && apiGroups().includes(group[1])) {
      return {
        kind: 'APIGroup',
        apiVersion: 'v1',
        name: group[1],
        versions: [{ groupVersion: `${group[1]}/v1`, version: 'v1' }],
        preferredVersion: { groupVersion: `${group[1]}/v1`, version: 'v1' },
      };
    }
    const gv = /^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
    if (gv) return apiResourceList(gv[1], gv[2]);
    if (path === '/healthz' || path === '/readyz' || path === '/livez')
      return undefined;
    return undefined;
  }

  private route(path: string): Route {
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    let group: string;
    let version: string;
    let rest: string[];
    if (parts[0] === 'api' && parts.length >= 2) {
      group = '';
      version = parts[1];
      rest = parts.slice(2);
    } else if (parts[0] === 'apis' && parts.length >= 3) {
      group = parts[1];
      version = parts[2];
      rest = parts.slice(3);
    } else {
      throw new StatusError(
        404,
        'NotFound',
        `the server could not find the requested resource (${path})`,
      );
    }
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const type = findResourceType(group, version, rest[0] ?? '');
    if (
      !type ||
      rest.length > 3 ||
      (namespace !== undefined && !type.namespaced)
    ) {
      throw new StatusError(
        404,
        'NotFound',
        `the server could not find the requested resource (${path})`,
      );
    }
    const subresource = rest[2];
    if (
      subresource !== undefined &&
      !type.subresources.includes(subresource as 'status')
    ) {
      throw new StatusError(
        404,
        'NotFound',
        `the server could not find the requested resource (${path})`,
      );
    }
    if (type.kind === 'Namespace' && rest[1] !== undefined)
      return { type, name: rest[1], subresource };
    return { type, namespace, name: rest[1], subresource };
  }

  private verb(method: string, route: Route, query: URLSearchParams): string {
    const watch = query.get('watch');
    switch (method) {
      case 'GET':
        if (watch === 'true' || watch === '1') return 'watch';
        return route.name ? 'get' : 'list';
      case 'POST':
        if (route.name)
          throw new StatusError(
            405,
            'MethodNotAllowed',
            'POST is not allowed on a named object',
          );
        return 'create';
      case 'PUT':
        if (!route.name)
          throw new StatusError(
            405,
            'MethodNotAllowed',
            'PUT needs an object name',
          );
        return 'update';
      case 'PATCH':
        if (!route.name)
          throw new StatusError(
            405,
            'MethodNotAllowed',
            'PATCH needs an object name',
          );
        return 'patch';
      case 'DELETE':
        return route.name ? 'delete' : 'deletecollection';
      default:
        throw new StatusError(
          405,
          'MethodNotAllowed',
          `method ${method} is not allowed`,
        );
    }
  }

  private requireNamespace(namespace: string, verb: string): void {
    const nsType = RESOURCE_TYPES.find(t => t.kind === 'Namespace')!;
    if (!this.store.find(nsType, undefined, namespace) && verb === 'create')
      throw notFound('namespaces', namespace);
  }

  private read(route: Route): Record<string, unknown> {
    const object = this.store.get(route.type, route.namespace, route.name!);
    if (route.subresource === 'scale') return toScale(object);
    return object;
  }

  private list(route: Route, query: URLSearchParams): Record<string, unknown> {
    const labels = parseLabelSelector(query.get('labelSelector'));
    const fields = parseFieldSelector(
      query.get('fieldSelector'),
      route.type.kind,
    );
    const all = this.store
      .list(route.type, route.namespace)
      .filter(o => labels(o) && fields(o));
    const limit = Number(query.get('limit') ?? 0);
    const token = query.get('continue');
    let start = 0;
    if (token) {
      try {
        start = JSON.parse(
          Buffer.from(token, 'base64url').toString('utf8'),
        ).start;
      } catch {
        throw badRequest(`continue token "${token}" is not valid`);
      }
      if (!Number.isInteger(start) || start < 0)
        throw badRequest(`continue token "${token}" is not valid`);
    }
    const end = limit > 0 ? Math.min(all.length, start + limit) : all.length;
    const items = all.slice(start, end);
    const remaining = all.length - end;
    return {
      kind: `${route.type.kind}List`,
      apiVersion: groupVersion(route.type),
      metadata: {
        resourceVersion: String(this.store.resourceVersion),
        ...(remaining > 0 && {
          continue: Buffer.from(JSON.stringify({ start: end })).toString(
            'base64url',
          ),
          remainingItemCount: remaining,
        }),
      },
      items,
    };
  }

  private create(
    route: Route,
    body: KubeObject,
    query: URLSearchParams,
  ): KubeObject {
    if (route.subresource)
      throw new StatusError(
        405,
        'MethodNotAllowed',
        `create is not allowed on ${route.type.plural}/${route.subresource}`,
      );
    const object = this.checkBody(route, body);
    if (
      !object.metadata.name &&
      typeof object.metadata.generateName === 'string'
    ) {
      object.metadata.name = `${object.metadata.generateName}${Math.random()
        .toString(36)
        .slice(2, 7)}`;
    }
    if (!object.metadata.name) {
      throw new StatusError(
        422,
        'Invalid',
        `${route.type.kind} "" is invalid: metadata.name: Required value: name or generateName is required`,
        {
          kind: route.type.kind,
          causes: [
            {
              reason: 'FieldValueRequired',
              message: 'Required value: name or generateName is required',
              field: 'metadata.name',
            },
          ],
        },
      );
    }
    if (route.type.namespaced) object.metadata.namespace = route.namespace;
    for (const field of [
      'uid',
      'resourceVersion',
      'creationTimestamp',
      'generation',
      'deletionTimestamp',
    ])
      delete object.metadata[field];
    admitCreate(route.type, object);
    if (query.get('dryRun') === 'All') return object;
    return this.store.create(route.type, object);
  }

  private checkBody(route: Route, body: unknown): KubeObject {
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw badRequest('the request body must be a JSON object');
    const object = body as KubeObject;
    object.metadata ??= { name: '' };
    if (typeof object.metadata !== 'object')
      throw badRequest('metadata must be an object');
    if (
      object.kind !== undefined &&
      object.kind !== route.type.kind &&
      !(route.subresource === 'scale' && object.kind === 'Scale')
    ) {
      throw badRequest(
        `the body kind "${object.kind}" does not match the resource ${route.type.plural} (kind ${route.type.kind})`,
      );
    }
    if (
      route.namespace &&
      object.metadata.namespace &&
      object.metadata.namespace !== route.namespace
    ) {
      throw badRequest(
        `the namespace of the provided object does not match the namespace sent on the request`,
      );
    }
    return object;
  }

  private replace(
    route: Route,
    body: KubeObject,
    query: URLSearchParams,
  ): Record<string, unknown> {
    const object = this.checkBody(route, body);
    if (object.metadata.name && object.metadata.name !== route.name) {
      throw badRequest(
        `the name of the object (${object.metadata.name}) does not match the name on the URL (${route.name})`,
      );
    }
    object.metadata.name = route.name!;
    if (route.type.namespaced) object.metadata.namespace = route.namespace;
    return this.save(
      route,
      this.store.get(route.type, route.namespace, route.name!),
      object,
      query,
    );
  }

  /** Stores a new version of an object, honouring subresource semantics. */
  private save(
    route: Route,
    current: KubeObject,
    next: KubeObject,
    query: URLSearchParams,
  ): Record<string, unknown> {
    let result: KubeObject;
    if (route.subresource === 'scale') {
      const replicas = (next as { spec?: { replicas?: unknown } }).spec
        ?.replicas;
      if (
        typeof replicas !== 'number' ||
        !Number.isInteger(replicas) ||
        replicas < 0
      ) {
        throw new StatusError(
          422,
          'Invalid',
          `Scale.autoscaling "${
            route.name
          }" is invalid: spec.replicas: Invalid value: ${JSON.stringify(
            replicas,
          )}: must be greater than or equal to 0`,
          {
            name: route.name,
            group: 'autoscaling',
            kind: 'Scale',
            causes: [
              {
                reason: 'FieldValueInvalid',
                message: `Invalid value: ${JSON.stringify(
                  replicas,
                )}: must be greater than or equal to 0`,
                field: 'spec.replicas',
              },
            ],
          },
        );
      }
      const rv = next.metadata.resourceVersion;
      const updated = {
        ...current,
        metadata: {
          ...current.metadata,
          ...(rv ? { resourceVersion: rv } : {}),
        },
        spec: { ...(current.spec as object), replicas },
      };
      result =
        query.get('dryRun') === 'All'
          ? updated
          : this.store.update(route.type, updated);
      return toScale(result);
    }
    const merged: KubeObject =
      route.subresource === 'status'
        ? {
            ...current,
            metadata: {
              ...current.metadata,
              resourceVersion: next.metadata.resourceVersion,
            },
            status: next.status,
          }
        : {
            ...next,
            metadata: { ...next.metadata, uid: current.metadata.uid },
            ...(route.type.subresources.includes('status')
              ? { status: current.status }
              : {}),
          };
    if (route.type.kind === 'Secret') {
      const n = merged as KubeObject & {
        stringData?: Record<string, string>;
        data?: Record<string, string>;
      };
      if (n.stringData) {
        n.data = { ...n.data };
        for (const [k, v] of Object.entries(n.stringData))
          n.data[k] = Buffer.from(v).toString('base64');
        delete n.stringData;
      }
    }
    admitUpdate(route.type, current, merged);
    if (query.get('dryRun') === 'All') return merged;
    return this.store.update(route.type, merged);
  }

  private patch(
    route: Route,
    raw: unknown,
    contentType: string | undefined,
    query: URLSearchParams,
  ): Record<string, unknown> {
    const type = (contentType ?? '').split(';')[0].trim();
    const current = this.store.get(route.type, route.namespace, route.name!);
    const base = route.subresource === 'scale' ? toScale(current) : current;
    let patched: unknown;
    if (type === PATCH_TYPES.merge) patched = mergePatch(base, raw);
    else if (type === PATCH_TYPES.strategic)
      patched = strategicMergePatch(base, raw);
    else if (type === PATCH_TYPES.json) patched = jsonPatch(base, raw);
    else {
      throw new StatusError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.json}, ${PATCH_TYPES.merge}, ${PATCH_TYPES.strategic}`,
      );
    }
    const next = this.checkBody(route, patched);
    if (
      next.metadata.name !== route.name ||
      (route.type.namespaced && next.metadata.namespace !== route.namespace)
    ) {
      throw badRequest(
        'a patch may not change the name or namespace of an object',
      );
    }
    // A patch applies to the version it was computed on unless it names another one.
    const rawRv = (raw as { metadata?: { resourceVersion?: string } } | null)
      ?.metadata?.resourceVersion;
    next.metadata.resourceVersion = Array.isArray(raw)
      ? next.metadata.resourceVersion
      : rawRv ?? current.metadata.resourceVersion;
    return this.save(route, current, next, query);
  }

  private remove(
    route: Route,
    body: Record<string, unknown> | undefined,
    query: URLSearchParams,
  ): Record<string, unknown> {
    if (route.subresource)
      throw new StatusError(
        405,
        'MethodNotAllowed',
        `delete is not allowed on ${route.type.plural}/${route.subresource}`,
      );
    const policy = String(
      query.get('propagationPolicy') ??
        body?.propagationPolicy ??
        (body?.orphanDependents === true ? 'Orphan' : 'Background'),
    );
    if (!['Background', 'Foreground', 'Orphan'].includes(policy)) {
      throw badRequest(
        `propagationPolicy "${policy}" is not supported: use Background, Foreground or Orphan`,
      );
    }
    const current = this.store.get(route.type, route.namespace, route.name!);
    const preconditionRv = (
      body?.preconditions as { resourceVersion?: string } | undefined
    )?.resourceVersion;
    if (preconditionRv && preconditionRv !== current.metadata.resourceVersion) {
      throw new StatusError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${route.type.plural} "${route.name}": the ResourceVersion in the precondition (${preconditionRv}) does not match the ResourceVersion in record (${current.metadata.resourceVersion}). The object might have been modified`,
      );
    }
    if (query.get('dryRun') === 'All') return current;
    return deleteWithDependents(
      this.store,
      route.type,
      current,
      policy as 'Background',
    );
  }

  private removeCollection(
    route: Route,
    body: Record<string, unknown> | undefined,
    query: URLSearchParams,
  ): Record<string, unknown> {
    const labels = parseLabelSelector(query.get('labelSelector'));
    const fields = parseFieldSelector(
      query.get('fieldSelector'),
      route.type.kind,
    );
    const policy = String(
      query.get('propagationPolicy') ?? body?.propagationPolicy ?? 'Background',
    ) as 'Background';
    const deleted = this.store
      .list(route.type, route.namespace)
      .filter(o => labels(o) && fields(o))
      .map(o =>
        query.get('dryRun') === 'All'
          ? o
          : deleteWithDependents(this.store, route.type, o, policy),
      );
    return {
      kind: `${route.type.kind}List`,
      apiVersion: groupVersion(route.type),
      metadata: { resourceVersion: String(this.store.resourceVersion) },
      items: deleted,
    };
  }

  private watch(
    route: Route,
    query: URLSearchParams,
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): void {
    const labels = parseLabelSelector(query.get('labelSelector'));
    const fields = parseFieldSelector(
      query.get('fieldSelector'),
      route.type.kind,
    );
    const byName: Matcher = o =>
      route.name === undefined || o.metadata.name === route.name;
    const matches = (o: KubeObject) =>
      (route.namespace === undefined ||
        o.metadata.namespace === route.namespace) &&
      byName(o) &&
      labels(o) &&
      fields(o);
    const rvParam = query.get('resourceVersion');
    const timeoutMs =
      Math.min(Number(query.get('timeoutSeconds') ?? 1800), 1800) * 1000;
    const bookmarks = query.get('allowWatchBookmarks') === 'true';

    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Transfer-Encoding': 'chunked',
      'Cache-Control': 'no-cache, private',
    });
    res.flushHeaders();
    this.openWatches.add(res);
    const send = (type: string, object: unknown) =>
      res.write(`${JSON.stringify({ type, object })}\n`);
    const translate = (event: StoreEvent) => {
      if (event.resource !== route.type) return;
      const now = event.type !== 'DELETED' && matches(event.object);
      const before =
        event.previous !== undefined &&
        event.type !== 'ADDED' &&
        matches(event.previous);
      if (event.type === 'ADDED' && now) send('ADDED', event.object);
      else if (event.type === 'DELETED' && before)
        send('DELETED', event.object);
      else if (event.type === 'MODIFIED') {
        if (now && before) send('MODIFIED', event.object);
        else if (now) send('ADDED', event.object);
        else if (before) send('DELETED', event.object);
      }
    };

    let backlog: StoreEvent[] = [];
    if (rvParam && rvParam !== '0') {
      const since = Number(rvParam);
      if (!Number.isInteger(since) || since < 0) {
        send(
          'ERROR',
          new StatusError(
            400,
            'BadRequest',
            `resourceVersion "${rvParam}" is not valid`,
          ).toStatus(),
        );
        this.endWatch(res);
        return;
      }
      try {
        backlog = this.store.eventsSince(since);
      } catch (error) {
        if (!(error instanceof ResourceVersionTooOld)) throw error;
        send('ERROR', error.toStatus());
        this.endWatch(res);
        return;
      }
    } else {
      for (const object of this.store
        .list(route.type, route.namespace)
        .filter(matches))
        send('ADDED', object);
    }
    backlog.forEach(translate);
    const unsubscribe = this.store.subscribe(translate);
    const bookmark = () =>
      send('BOOKMARK', {
        kind: route.type.kind,
        apiVersion: groupVersion(route.type),
        metadata: { resourceVersion: String(this.store.resourceVersion) },
      });
    if (bookmarks) bookmark();
    const bookmarkTimer = bookmarks
      ? setInterval(bookmark, this.options.bookmarkIntervalMs ?? 5000)
      : undefined;
    const timeout = setTimeout(() => res.end(), timeoutMs);
    const cleanup = () => {
      unsubscribe();
      clearTimeout(timeout);
      if (bookmarkTimer) clearInterval(bookmarkTimer);
      this.openWatches.delete(res);
    };
    res.on('close', cleanup);
    req.on('close', cleanup);
  }

  private endWatch(res: http.ServerResponse): void {
    this.openWatches.delete(res);
    res.end();
  }

  private podLog(
    route: Route,
    query: URLSearchParams,
    res: http.ServerResponse,
  ): void {
    const pod = this.store.get(
      route.type,
      route.namespace,
      route.name!,
    ) as KubeObject & {
      spec: {
        containers: Array<{ name: string }>;
        initContainers?: Array<{ name: string }>;
      };
      status?: {
        containerStatuses?: Array<{
          name: string;
          state?: Record<string, { reason?: string }>;
        }>;
        initContainerStatuses?: Array<{
          name: string;
          state?: Record<string, { reason?: string }>;
        }>;
      };
    };
    const names = [
      ...(pod.spec.initContainers ?? []),
      ...pod.spec.containers,
    ].map(c => c.name);
    let container = query.get('container') ?? undefined;
    if (!container) {
      if (pod.spec.containers.length !== 1) {
        throw badRequest(
          `a container name must be specified for pod ${
            route.name
          }, choose one of: [${names.join(' ')}]`,
        );
      }
      container = pod.spec.containers[0].name;
    }
    if (!names.includes(container))
      throw badRequest(
        `container ${container} is not valid for pod ${route.name}`,
      );
    const statuses = [
      ...(pod.status?.initContainerStatuses ?? []),
      ...(pod.status?.containerStatuses ?? []),
    ];
    const state = statuses.find(s => s.name === container)?.state;
    const lines = this.logs.lines(route.namespace!, route.name!, container);
    if (!lines && (!state || state.waiting)) {
      throw badRequest(
        `container "${container}" in pod "${route.name}" is waiting to start: ${
          state?.waiting?.reason ?? 'ContainerCreating'
        }`,
      );
    }
    const timestamps = query.get('timestamps') === 'true';
    const format = (line: PodLogLine) =>
      `${timestamps ? `${line.time} ` : ''}${line.text}\n`;
    let selected = lines ?? [];
    const since = Number(query.get('sinceSeconds') ?? 0);
    if (since > 0) {
      const cutoff = Date.now() - since * 1000;
      selected = selected.filter(l => Date.parse(l.time) >= cutoff);
    }
    const tail = query.get('tailLines');
    if (tail !== null) {
      const n = Number(tail);
      if (!Number.isInteger(n) || n < 0)
        throw badRequest(
          `tailLines must be a non-negative integer, got "${tail}"`,
        );
      selected = n === 0 ? [] : selected.slice(-n);
    }
    let text = selected.map(format).join('');
    const limitBytes = Number(query.get('limitBytes') ?? 0);
    if (limitBytes > 0)
      text = Buffer.from(text).subarray(0, limitBytes).toString('utf8');
    const follow = query.get('follow') === 'true';
    res.writeHead(200, {
      'Content-Type': 'text/plain',
      ...(follow && { 'Transfer-Encoding': 'chunked' }),
    });
    if (!follow) {
      res.end(text);
      return;
    }
    res.write(text);
    this.openWatches.add(res);
    const already = (lines ?? []).length;
    let seen = 0;
    const stop = this.logs.follow(
      route.namespace!,
      route.name!,
      container,
      line => {
        seen += 1;
        if (seen > already) res.write(format(line));
      },
      () => this.endWatch(res),
    );
    res.on('close', () => {
      stop();
      this.openWatches.delete(res);
    });
  }

  private async readRaw(req: http.IncomingMessage): Promise<Buffer> {
    const max = this.options.maxBodyBytes ?? 3 * 1024 * 1024;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > max)
        throw new StatusError(
          413,
          'RequestEntityTooLarge',
          `the request body is larger than ${max} bytes`,
        );
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  }

  private async body(
    req: http.IncomingMessage,
    allowArray = false,
  ): Promise<any> {
    const raw = await this.readRaw(req);
    const contentType = req.headers['content-type'];
    if (isKubernetesProtobuf(contentType)) {
      try {
        return decodeKubernetesProtobuf(raw);
      } catch (error) {
        if (error instanceof ProtobufDecodeError)
          throw new StatusError(
            415,
            'UnsupportedMediaType',
            `the sandbox could not decode the protobuf body: ${error.message}; send JSON instead`,
          );
        throw error;
      }
    }
    if (raw.length === 0) throw badRequest('the request needs a body');
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch (error) {
      throw badRequest(
        `the request body is not valid JSON: ${(error as Error).message}`,
      );
    }
    if (!allowArray && Array.isArray(parsed))
      throw badRequest('the request body must be a JSON object');
    return parsed;
  }

  private async optionalBody(
    req: http.IncomingMessage,
  ): Promise<Record<string, unknown> | undefined> {
    const raw = await this.readRaw(req);
    if (raw.length === 0) return undefined;
    try {
      return JSON.parse(raw.toString('utf8'));
    } catch {
      throw badRequest('the DeleteOptions body is not valid JSON');
    }
  }

  private json(res: http.ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
    });
    res.end(text);
  }

  private fail(res: http.ServerResponse, error: unknown): void {
    const status =
      error instanceof StatusError
        ? error
        : new StatusError(
            500,
            'InternalError',
            `Internal error occurred: ${
              (error as Error)?.message ?? String(error)
            }`,
          );
    if (res.headersSent) {
      res.end();
      return;
    }
    this.json(res, status.code, status.toStatus());
  }
}

/** The autoscaling/v1 Scale view of a Deployment or StatefulSet. */
function toScale(object: KubeObject): KubeObject {
  const o = object as KubeObject & {
    spec?: {
      replicas?: number;
      selector?: { matchLabels?: Record<string, string> };
    };
    status?: { replicas?: number };
  };
  const selector = Object.entries(o.spec?.selector?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: o.metadata.name,
      namespace: o.metadata.namespace,
      uid: o.metadata.uid,
      resourceVersion: o.metadata.resourceVersion,
      creationTimestamp: o.metadata.creationTimestamp,
    },
    spec: { replicas: o.spec?.replicas ?? 0 },
    status: { replicas: o.status?.replicas ?? 0, selector },
  };
}
