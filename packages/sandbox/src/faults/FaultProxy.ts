import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

/** Which upstream a proxy stands in front of: it decides how refusals and listings look. */
export type FaultFlavor = 'kubernetes' | 's3';

/** What a matching request gets instead of (or on top of) the upstream's answer. */
export type Fault =
  /** The upstream's answer, `ms` later. */
  | { kind: 'latency'; ms: number }
  /** A server error with a body in the upstream's own format (Kubernetes `Status`, S3 `Error` XML). */
  | { kind: 'status'; status: 500 | 502 | 503 }
  /** 403: a Kubernetes `Status` Forbidden, or S3 `AccessDenied`. */
  | { kind: 'forbidden' }
  /** No answer at all until the client gives up (or the proxy stops). */
  | { kind: 'hang' }
  /** The connection is reset before any answer. */
  | { kind: 'reset' }
  /** A list answered in pages of `pageSize` (`limit` / `max-keys` added): `metadata.continue` or `IsTruncated`. */
  | { kind: 'paginate'; pageSize: number }
  /**
   * A list whose continuation never ends: every page says there is more, with a token that
   * leads back to the first page (a broken or hostile server).
   */
  | { kind: 'endless-pages' }
  /** The upstream's body cut in half (a valid length, an invalid document). */
  | { kind: 'truncate' }
  /** A streaming answer (watch, log follow) ended after `afterMs`. */
  | { kind: 'drop-stream'; afterMs: number };

/** When a fault applies: every given matcher must match; the first matching rule wins. */
export interface FaultRule {
  /** HTTP method, e.g. `GET`. */
  method?: string;
  /** Matched against the path (without the query). */
  path?: RegExp;
  /** Matched against the raw query string (without `?`). */
  query?: RegExp;
  /** Chance (0 to 1, from the proxy's seeded generator) that a matching request gets the fault; default 1. */
  probability?: number;
  /** How many requests get the fault before the rule retires; default unlimited. */
  times?: number;
  fault: Fault;
}

/** Options of {@link FaultProxy.start}. */
export interface FaultProxyOptions {
  /** The upstream's base URL (`https://127.0.0.1:6443`, `http://127.0.0.1:4566`). */
  target: string;
  flavor: FaultFlavor;
  /** Serve HTTPS with this key and certificate (e.g. the sandbox API server's own); plain HTTP when omitted. */
  tls?: { key: string; cert: string };
  /** CA certificate (PEM) the proxy trusts when it calls an HTTPS upstream. */
  targetCa?: string;
  /** Seed of the generator behind `probability`; the same seed and requests give the same faults. */
  seed?: number;
}

/**
 * One request the proxy saw, and the fault it injected (if any). The moment the upstream
 * disappears is logged too, with an empty method and path.
 */
export interface ProxiedRequest {
  method: string;
  path: string;
  fault?: Fault['kind'] | 'disappeared';
}

const HOST = '127.0.0.1';
/** The continuation token of `endless-pages`: the proxy sends it and strips it again. */
const ENDLESS_TOKEN = 'fault-proxy-endless';

/** mulberry32: a small, fast, seedable generator of numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const escapeXml = (s: string) =>
  s.replace(/[<>&"']/g, c => `&#${c.charCodeAt(0)};`);

/**
 * A fault-injecting HTTP(S) proxy in front of the sandbox Kubernetes API or moto S3. Rules pick a
 * fault per request (latency, 5xx, 403, hangs, resets, paginated, endless or truncated listings,
 * dropped streams); {@link FaultProxy.disappear} makes the upstream vanish (every connection
 * reset) until {@link FaultProxy.reappear}. Deterministic given a seed and the same requests.
 */
export class FaultProxy {
  private rules: Array<FaultRule & { used: number }> = [];
  private random: () => number;
  private gone = false;
  private readonly sockets = new Set<net.Socket>();
  private readonly upstreamAgent: http.Agent;
  /** Requests seen since the last {@link FaultProxy.clearLog}. */
  readonly log: ProxiedRequest[] = [];

  private constructor(
    private readonly server: http.Server,
    private readonly options: FaultProxyOptions,
    /** The proxy's base URL. */
    readonly url: string,
  ) {
    this.random = seededRandom(options.seed ?? 1);
    this.upstreamAgent = options.target.startsWith('https:')
      ? new https.Agent({ keepAlive: true, ca: options.targetCa })
      : new http.Agent({ keepAlive: true });
  }

  /** Starts a proxy on 127.0.0.1 and a free port. */
  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    // The handler exists before the proxy it calls: the server is made first, to learn its port.
    const ref: { proxy?: FaultProxy } = {};
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) =>
      ref.proxy!.handle(req, res);
    const server = options.tls
      ? https.createServer(
          { key: options.tls.key, cert: options.tls.cert },
          handler,
        )
      : http.createServer(handler);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, HOST, () => resolve());
    });
    const { port } = server.address() as net.AddressInfo;
    const proxy = new FaultProxy(
      server,
      options,
      `${options.tls ? 'https' : 'http'}://${HOST}:${port}`,
    );
    ref.proxy = proxy;
    server.on('connection', socket => proxy.accept(socket));
    return proxy;
  }

  private accept(socket: net.Socket): void {
    if (this.gone) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
  }

  /** Replaces the rules (and restarts the generator from `seed`, when given). */
  setRules(rules: FaultRule[], seed?: number): void {
    this.rules = rules.map(r => ({ ...r, used: 0 }));
    if (seed !== undefined) this.random = seededRandom(seed);
  }

  /** Removes every rule and brings a vanished upstream back. */
  clear(): void {
    this.rules = [];
    this.reappear();
  }

  /** The upstream vanishes: every open and new connection is reset, until {@link FaultProxy.reappear}. */
  disappear(): void {
    this.gone = true;
    this.log.push({ method: '', path: '', fault: 'disappeared' });
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  /** The upstream answers again. */
  reappear(): void {
    this.gone = false;
  }

  /** Forgets the requests seen so far. */
  clearLog(): void {
    this.log.length = 0;
  }

  /** Stops listening and ends every connection. */
  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.upstreamAgent.destroy();
    await new Promise<void>(resolve => this.server.close(() => resolve()));
  }

  private pick(method: string, path: string, query: string): Fault | undefined {
    for (const rule of this.rules) {
      if (rule.method && rule.method.toUpperCase() !== method) continue;
      if (rule.path && !rule.path.test(path)) continue;
      if (rule.query && !rule.query.test(query)) continue;
      if (rule.times !== undefined && rule.used >= rule.times) continue;
      // The generator advances on every matching request, so a seed replays the same faults.
      if (this.random() >= (rule.probability ?? 1)) continue;
      rule.used++;
      return rule.fault;
    }
    return undefined;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const method = req.method ?? 'GET';
    const [path, query = ''] = (req.url ?? '/').split(/\?(.*)/s);
    if (this.gone) {
      this.log.push({ method, path, fault: 'disappeared' });
      req.socket.destroy();
      return;
    }
    const fault = this.pick(method, path, query);
    this.log.push({ method, path, ...(fault && { fault: fault.kind }) });
    switch (fault?.kind) {
      case 'status':
        this.refuse(
          res,
          fault.status,
          `upstream failure injected for ${method} ${path}`,
        );
        return;
      case 'forbidden':
        this.refuse(
          res,
          403,
          `${method} ${path} is forbidden (fault injected)`,
        );
        return;
      case 'hang':
        // Read and ignore the body; the client's timeout (or stop()) ends the exchange.
        req.resume();
        return;
      case 'reset':
        req.socket.destroy();
        return;
      case 'latency':
        setTimeout(() => this.forward(req, res, path, query, fault), fault.ms);
        return;
      default:
        this.forward(req, res, path, query, fault);
    }
  }

  /** A refusal in the upstream's own words. */
  private refuse(res: http.ServerResponse, status: number, message: string) {
    const kubernetes = this.options.flavor === 'kubernetes';
    const words: Record<number, [string, string]> = {
      403: ['Forbidden', 'AccessDenied'],
      503: ['ServiceUnavailable', 'ServiceUnavailable'],
    };
    const [reason, code] = words[status] ?? ['InternalError', 'InternalError'];
    if (kubernetes) {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message,
          reason,
          code: status,
        }),
      );
      return;
    }
    res.writeHead(status, { 'Content-Type': 'application/xml' });
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escapeXml(
        message,
      )}</Message><RequestId>fault-proxy</RequestId></Error>`,
    );
  }

  private rewriteQuery(query: string, fault: Fault | undefined): string {
    const params = new URLSearchParams(query);
    const s3 = this.options.flavor === 's3';
    const tokenParam = s3 ? 'continuation-token' : 'continue';
    if (params.get(tokenParam) === ENDLESS_TOKEN) params.delete(tokenParam);
    if (fault?.kind === 'paginate') {
      params.set(s3 ? 'max-keys' : 'limit', String(fault.pageSize));
    }
    return params.toString();
  }

  private forward(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    path: string,
    query: string,
    fault: Fault | undefined,
  ): void {
    // The client may have given up during an injected latency.
    if (res.destroyed) return;
    const target = new URL(this.options.target);
    const rewritten = this.rewriteQuery(query, fault);
    const upstream = (target.protocol === 'https:' ? https : http).request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: rewritten ? `${path}?${rewritten}` : path,
        headers: req.headers,
        agent: this.upstreamAgent,
      },
      answer => this.answer(answer, res, fault),
    );
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  }

  private answer(
    answer: http.IncomingMessage,
    res: http.ServerResponse,
    fault: Fault | undefined,
  ): void {
    const headers = { ...answer.headers };
    if (fault?.kind === 'truncate' || fault?.kind === 'endless-pages') {
      const chunks: Buffer[] = [];
      answer.on('data', c => chunks.push(c));
      answer.on('end', () => {
        let body = Buffer.concat(chunks);
        if (fault.kind === 'truncate')
          body = body.subarray(0, Math.floor(body.length / 2));
        else body = Buffer.from(this.endless(body.toString('utf8')));
        delete headers['transfer-encoding'];
        headers['content-length'] = String(body.length);
        res.writeHead(answer.statusCode ?? 502, headers);
        res.end(body);
      });
      return;
    }
    res.writeHead(answer.statusCode ?? 502, headers);
    answer.pipe(res);
    if (fault?.kind === 'drop-stream') {
      const timer = setTimeout(() => {
        answer.unpipe(res);
        answer.destroy();
        res.end();
      }, fault.afterMs);
      res.on('close', () => clearTimeout(timer));
    }
  }

  /** A list page that claims there is more, with a token that leads back to the first page. */
  private endless(body: string): string {
    if (this.options.flavor === 's3') {
      const truncated = body.replace(
        /<IsTruncated>false<\/IsTruncated>/,
        '<IsTruncated>true</IsTruncated>',
      );
      return truncated.includes('<NextContinuationToken>')
        ? truncated.replace(
            /<NextContinuationToken>[^<]*<\/NextContinuationToken>/,
            `<NextContinuationToken>${ENDLESS_TOKEN}</NextContinuationToken>`,
          )
        : truncated.replace(
            '</ListBucketResult>',
            `<NextContinuationToken>${ENDLESS_TOKEN}</NextContinuationToken></ListBucketResult>`,
          );
    }
    try {
      const list = JSON.parse(body);
      if (list && typeof list === 'object' && Array.isArray(list.items)) {
        list.metadata = { ...list.metadata, continue: ENDLESS_TOKEN };
        return JSON.stringify(list);
      }
    } catch {
      // not JSON: passed on as it is
    }
    return body;
  }
}
