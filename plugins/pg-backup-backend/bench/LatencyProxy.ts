import http from 'node:http';
import https from 'node:https';

/**
 * An HTTP proxy on 127.0.0.1 that forwards every request to `target` after `delayMs`, counting
 * requests by a label of its path: the benchmark's "20 ms per Kubernetes/S3 call".
 */
export class LatencyProxy {
  readonly counts = new Map<string, number>();
  /** Answers of GET requests kept for replay (only when `replayGets` is on). */
  private readonly replay = new Map<
    string,
    { status: number; headers: http.IncomingHttpHeaders; body: Buffer }
  >();
  /**
   * When on, a GET identical to an earlier one is answered with the upstream's earlier answer
   * (after the same delay) instead of asking the upstream again: takes the emulator's own
   * service time out of a measurement. Off by default.
   */
  replayGets = false;
  /** How long the upstream took to answer each request (headers), after the added delay. */
  readonly upstreamMs: number[] = [];
  private readonly server: http.Server | https.Server;
  private readonly agent: http.Agent | https.Agent;
  url = '';

  constructor(
    private readonly target: string,
    private readonly delayMs: number,
    private readonly label: (method: string, path: string) => string,
    ca?: string,
    /** Serve HTTPS with this key and certificate (the Kubernetes client insists on TLS). */
    private readonly tls?: { key: string; cert: string },
  ) {
    const secure = target.startsWith('https:');
    this.agent = secure
      ? new https.Agent({ keepAlive: true, maxSockets: 256, ca })
      : new http.Agent({ keepAlive: true, maxSockets: 256 });
    const handler: http.RequestListener = (req, res) => {
      const name = this.label(req.method ?? 'GET', req.url ?? '/');
      this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
      setTimeout(() => {
        const replayKey = `${req.headers.host} ${req.url}`;
        const replayed =
          this.replayGets && req.method === 'GET'
            ? this.replay.get(replayKey)
            : undefined;
        if (replayed) {
          res.writeHead(replayed.status, replayed.headers);
          res.end(replayed.body);
          return;
        }
        const url = new URL(req.url ?? '/', this.target);
        const sent = performance.now();
        const upstream = (secure ? https : http).request(
          url,
          {
            method: req.method,
            headers: { ...req.headers, host: url.host },
            agent: this.agent,
          },
          answer => {
            this.upstreamMs.push(performance.now() - sent);
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            if (this.replayGets && req.method === 'GET') {
              const chunks: Buffer[] = [];
              answer.on('data', chunk => chunks.push(chunk));
              answer.on('end', () =>
                this.replay.set(replayKey, {
                  status: answer.statusCode ?? 502,
                  headers: answer.headers,
                  body: Buffer.concat(chunks),
                }),
              );
            }
            answer.pipe(res);
          },
        );
        upstream.on('error', error => {
          res.writeHead(502);
          res.end(String(error));
        });
        req.pipe(upstream);
      }, this.delayMs);
    };
    this.server = tls
      ? https.createServer({ ...tls, keepAliveTimeout: 60_000 }, handler)
      : http.createServer(handler);
    this.server.keepAliveTimeout = 60_000;
  }

  /** Starts listening on a free port of 127.0.0.1. */
  async start(): Promise<string> {
    await new Promise<void>(resolve =>
      this.server.listen(0, '127.0.0.1', resolve),
    );
    const address = this.server.address() as { port: number };
    this.url = `${this.tls ? 'https' : 'http'}://127.0.0.1:${address.port}`;
    return this.url;
  }

  /** Total requests, or of one label. */
  total(label?: string): number {
    if (label) return this.counts.get(label) ?? 0;
    return [...this.counts.values()].reduce((a, b) => a + b, 0);
  }

  /** Forgets the counts. */
  reset(): void {
    this.counts.clear();
    this.upstreamMs.length = 0;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise(resolve => this.server.close(resolve));
    this.agent.destroy();
  }
}
