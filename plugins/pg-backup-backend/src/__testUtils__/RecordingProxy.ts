import http from 'node:http';
import https from 'node:https';
import { AddressInfo } from 'node:net';

/** One request the proxy forwarded (never its headers: they carry credentials). */
export interface RecordedRequest {
  method: string;
  /** Decoded path, e.g. `/apis/batch/v1/namespaces/qawave/jobs/x` or `/bucket/key`. */
  path: string;
  /** The raw query string, without `?`. */
  query: string;
}

/**
 * A transparent HTTP(S) proxy in front of an upstream (the sandbox API server or moto S3) that
 * records every request it forwards, so a test can show which upstream resources the backend
 * touched.
 */
export class RecordingProxy {
  private constructor(
    readonly requests: RecordedRequest[],
    private readonly server: http.Server | https.Server,
    private readonly secure: boolean,
  ) {}

  static async start(options: {
    target: string;
    /** Serve HTTPS with this key and certificate (the sandbox API server's own). */
    tls?: { key: string; cert: string };
    /** CA the proxy trusts when calling an HTTPS upstream. */
    targetCa?: string;
  }): Promise<RecordingProxy> {
    const target = new URL(options.target);
    const client = target.protocol === 'https:' ? https : http;
    const requests: RecordedRequest[] = [];
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
      const url = new URL(req.url ?? '/', 'http://proxy');
      let path = url.pathname;
      try {
        path = decodeURIComponent(url.pathname);
      } catch {
        // Keep the raw path when it is not valid percent-encoding.
      }
      requests.push({
        method: req.method ?? 'GET',
        path,
        query: url.search.replace(/^\?/, ''),
      });
      const upstream = client.request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: target.host },
          ...(options.targetCa && { ca: options.targetCa }),
        },
        answer => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      res.on('close', () => upstream.destroy());
      req.pipe(upstream);
    };
    const server = options.tls
      ? https.createServer(options.tls, handler)
      : http.createServer(handler);
    const proxy = new RecordingProxy(
      requests,
      server,
      options.tls !== undefined,
    );
    await new Promise<void>(resolve =>
      server.listen(0, '127.0.0.1', () => resolve()),
    );
    return proxy;
  }

  /** The proxy's base URL. */
  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `${this.secure ? 'https' : 'http'}://127.0.0.1:${port}`;
  }

  /** Requests recorded since `mark` (an index from {@link RecordingProxy.mark}). */
  since(mark: number): RecordedRequest[] {
    return this.requests.slice(mark);
  }

  /** The current position in the request log. */
  mark(): number {
    return this.requests.length;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>(resolve => this.server.close(() => resolve()));
  }
}
