import { createHash } from 'node:crypto';
import http from 'node:http';

/** One object of a generated history. */
export interface GeneratedObject {
  key: string;
  body: string;
  lastModified: Date;
}

/**
 * Histories computed from a rule instead of stored: a benchmark's 10,000 databases with 400
 * backups each are 8 million objects, which no emulator here holds.
 */
export interface GeneratedHistories {
  /**
   * The generated objects of `bucket` whose keys start with `prefix` and sort after `after`,
   * ascending by key (more may be returned: the server filters); undefined when the prefix is
   * not generated (the request then goes to the upstream S3).
   */
  list(
    bucket: string,
    prefix: string,
    after: string,
  ): GeneratedObject[] | undefined;
  /** One generated object; undefined when the key is not generated. */
  get(bucket: string, key: string): GeneratedObject | undefined;
}

const PAGE_DEFAULT = 1000;

const xmlText = (value: string) =>
  value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

const etagOf = (body: string) =>
  `"${createHash('md5').update(body).digest('hex')}"`;

/**
 * An S3 endpoint on 127.0.0.1 that answers ListObjectsV2 and GET/HEAD of objects from
 * {@link GeneratedHistories}, as S3 (and moto) answer them, and forwards every other request
 * (bucket settings, other prefixes, writes) to an upstream S3 such as the sandbox's moto.
 * Path-style requests only, as the sandbox's clients send them. It takes the emulator's own
 * service time out of a fleet benchmark; its answers are checked against moto's by its test.
 */
export class GeneratedS3 {
  private readonly server: http.Server;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  url = '';

  constructor(
    private readonly upstream: string,
    private readonly histories: GeneratedHistories,
  ) {
    this.server = http.createServer((req, res) => {
      if (!this.answer(req, res)) this.forward(req, res);
    });
    this.server.keepAliveTimeout = 60_000;
  }

  /** Starts listening on a free port of 127.0.0.1. */
  async start(): Promise<string> {
    await new Promise<void>(resolve =>
      this.server.listen(0, '127.0.0.1', resolve),
    );
    const { port } = this.server.address() as { port: number };
    this.url = `http://127.0.0.1:${port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise(resolve => this.server.close(resolve));
    this.agent.destroy();
  }

  /** Answers a generated list or object; false when the request is not for generated data. */
  private answer(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const url = new URL(req.url ?? '/', 'http://s3');
    const [, bucket, ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    if (!bucket) return false;
    if (!key && url.searchParams.get('list-type') === '2') {
      const prefix = url.searchParams.get('prefix') ?? '';
      const token = url.searchParams.get('continuation-token');
      const after = token
        ? Buffer.from(token, 'base64').toString('utf8')
        : url.searchParams.get('start-after') ?? '';
      const objects = this.histories.list(
        decodeURIComponent(bucket),
        prefix,
        after,
      );
      if (!objects) return false;
      this.list(
        res,
        { bucket: decodeURIComponent(bucket), prefix, after },
        objects,
        url,
      );
      return true;
    }
    // a plain GET or HEAD (the SDK adds x-id=GetObject); other object requests go upstream
    url.searchParams.delete('x-id');
    if (!key || url.searchParams.size > 0) return false;
    const object = this.histories.get(decodeURIComponent(bucket), key);
    if (!object) return false;
    res.writeHead(200, {
      'Content-Type': 'binary/octet-stream',
      'Content-Length': Buffer.byteLength(object.body),
      ETag: etagOf(object.body),
      'Last-Modified': object.lastModified.toUTCString(),
      'Accept-Ranges': 'bytes',
    });
    res.end(req.method === 'HEAD' ? undefined : object.body);
    return true;
  }

  private list(
    res: http.ServerResponse,
    {
      bucket,
      prefix,
      after,
    }: { bucket: string; prefix: string; after: string },
    objects: GeneratedObject[],
    url: URL,
  ): void {
    const token = url.searchParams.get('continuation-token');
    const startAfter = url.searchParams.get('start-after') ?? '';
    const maxKeys = Number(url.searchParams.get('max-keys') ?? PAGE_DEFAULT);
    const remaining = objects.filter(
      o => o.key.startsWith(prefix) && o.key > after,
    );
    const page = remaining.slice(0, Math.min(maxKeys, PAGE_DEFAULT));
    const truncated = remaining.length > page.length;
    const parts = [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
      `<Name>${xmlText(bucket)}</Name>`,
      `<Prefix>${xmlText(prefix)}</Prefix>`,
      startAfter ? `<StartAfter>${xmlText(startAfter)}</StartAfter>` : '',
      `<MaxKeys>${maxKeys}</MaxKeys>`,
      `<KeyCount>${page.length}</KeyCount>`,
      `<IsTruncated>${truncated}</IsTruncated>`,
      token ? `<ContinuationToken>${xmlText(token)}</ContinuationToken>` : '',
      truncated
        ? `<NextContinuationToken>${Buffer.from(
            page[page.length - 1].key,
          ).toString('base64')}</NextContinuationToken>`
        : '',
      ...page.map(
        o =>
          `<Contents><Key>${xmlText(
            o.key,
          )}</Key><LastModified>${o.lastModified.toISOString()}</LastModified><ETag>${xmlText(
            etagOf(o.body),
          )}</ETag><Size>${Buffer.byteLength(
            o.body,
          )}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
      ),
      '</ListBucketResult>',
    ];
    const body = parts.join('');
    res.writeHead(200, {
      'Content-Type': 'application/xml',
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    const target = new URL(req.url ?? '/', this.upstream);
    const upstream = http.request(
      target,
      {
        method: req.method,
        headers: { ...req.headers, host: target.host },
        agent: this.agent,
      },
      answer => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', error => {
      res.writeHead(502);
      res.end(String(error));
    });
    req.pipe(upstream);
  }
}
