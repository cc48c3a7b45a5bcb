import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketLoggingCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { S3Sandbox, putObjectsInBulk } from './S3Sandbox';
import { seedBucket } from './seedBuckets';

const execFileAsync = promisify(execFile);

jest.setTimeout(60_000);

const BUCKET = 'qawave-backups';
const DAY = 24 * 60 * 60 * 1000;
// whole seconds: S3 LastModified has second precision
const base = Math.floor(Date.now() / 1000) * 1000;
const backdated = [
  { key: 'postgresql/daily/2026-01-01.dump', days: 40, size: 1000 },
  { key: 'postgresql/daily/2026-01-02.dump', days: 35, size: 2048 },
  { key: 'postgresql/daily/2026-01-03.dump', days: 3, size: 17 },
].map(o => ({ ...o, lastModified: new Date(base - o.days * DAY) }));

function canConnect(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function sha256OfBody(body: unknown): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
  }
  return hash.digest('hex');
}

describe('S3Sandbox', () => {
  let sandbox: S3Sandbox;
  let client: S3Client;
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 's3-sandbox-'));

  beforeAll(async () => {
    sandbox = await S3Sandbox.start({ logFile: path.join(logDir, 'moto.log') });
    client = new S3Client(sandbox.clientConfig());
  });

  afterAll(async () => {
    client?.destroy();
    await sandbox?.stop();
  });

  it('exposes a path-style client config on 127.0.0.1', async () => {
    expect(sandbox.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sandbox.clientConfig()).toMatchObject({
      endpoint: sandbox.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: {
        accessKeyId: 'sandbox',
        secretAccessKey: 'sandbox-secret',
      },
    });
    const buckets = await client.send(new ListBucketsCommand({}));
    expect(buckets.Buckets ?? []).toEqual([]);
  });

  it('seeds lifecycle, encryption and versioning', async () => {
    await seedBucket(client, {
      bucket: BUCKET,
      lifecycleExpirationDays: [{ prefix: 'postgresql/daily/', days: 30 }],
      encryption: 'AES256',
      versioning: true,
    });
    // idempotent
    await seedBucket(client, { bucket: BUCKET });

    const lifecycle = await client.send(
      new GetBucketLifecycleConfigurationCommand({ Bucket: BUCKET }),
    );
    expect(lifecycle.Rules).toHaveLength(1);
    expect(lifecycle.Rules?.[0]).toMatchObject({
      Status: 'Enabled',
      Expiration: { Days: 30 },
    });
    expect(lifecycle.Rules?.[0]?.Filter?.Prefix).toBe('postgresql/daily/');

    const encryption = await client.send(
      new GetBucketEncryptionCommand({ Bucket: BUCKET }),
    );
    expect(
      encryption.ServerSideEncryptionConfiguration?.Rules?.[0]
        ?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm,
    ).toBe('AES256');

    const versioning = await client.send(
      new GetBucketVersioningCommand({ Bucket: BUCKET }),
    );
    expect(versioning.Status).toBe('Enabled');
  });

  it('puts back-dated objects that ListObjectsV2 reports with those dates and sizes', async () => {
    await seedBucket(client, {
      bucket: BUCKET,
      objects: backdated.map(o => ({
        key: o.key,
        body: 'x'.repeat(o.size),
        lastModified: o.lastModified,
        metadata: { source: 'sandbox-test' },
      })),
    });

    const list = await client.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'postgresql/daily/' }),
    );
    expect(list.KeyCount).toBe(3);
    expect(
      list.Contents?.map(c => ({
        key: c.Key,
        size: c.Size,
        lastModified: c.LastModified?.toISOString(),
      })),
    ).toEqual(
      backdated.map(o => ({
        key: o.key,
        size: o.size,
        lastModified: o.lastModified.toISOString(),
      })),
    );

    const head = await client.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: backdated[0].key }),
    );
    expect(head.LastModified?.toISOString()).toBe(
      backdated[0].lastModified.toISOString(),
    );
    expect(head.Metadata).toEqual({ source: 'sandbox-test' });
    expect(head.ServerSideEncryption).toBe('AES256');
    expect(head.VersionId).toBeTruthy();
  });

  it('puts objects in bulk as PutObject stores them, back-dated, across requests', async () => {
    const bucket = 'bulk-seeded';
    await seedBucket(client, { bucket, encryption: 'AES256' });
    // 2,001 objects: more than one request of the bulk endpoint
    const objects = Array.from({ length: 2001 }, (_, i) => ({
      key: `pg/db-${i % 3}/k${String(i).padStart(5, '0')}`,
      body: `body ${i} `.repeat(1 + (i % 5)),
      lastModified: new Date(base - (i % 40) * DAY),
    }));
    await putObjectsInBulk(sandbox.endpoint, bucket, objects);

    const listed: {
      key?: string;
      size?: number;
      etag?: string;
      at?: string;
    }[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }),
      );
      for (const c of page.Contents ?? [])
        listed.push({
          key: c.Key,
          size: c.Size,
          etag: c.ETag,
          at: c.LastModified?.toISOString(),
        });
      token = page.NextContinuationToken;
    } while (token);
    const md5 = (body: string) =>
      `"${createHash('md5').update(body).digest('hex')}"`;
    expect(listed).toEqual(
      [...objects]
        .sort((a, b) => (a.key < b.key ? -1 : 1))
        .map(o => ({
          key: o.key,
          size: Buffer.byteLength(o.body),
          etag: md5(o.body),
          at: o.lastModified.toISOString(),
        })),
    );
    const got = await client.send(
      new GetObjectCommand({ Bucket: bucket, Key: objects[7].key }),
    );
    expect(await got.Body?.transformToString()).toBe(objects[7].body);
    expect(got.ServerSideEncryption).toBe('AES256');

    await expect(
      putObjectsInBulk(sandbox.endpoint, 'no-such-bucket', objects.slice(0, 1)),
    ).rejects.toThrow(/s3:\/\/no-such-bucket: HTTP 404 .*NoSuchBucket/);
  });

  it('paginates with StartAfter and MaxKeys', async () => {
    const page = await client.send(
      new ListObjectsV2Command({
        Bucket: BUCKET,
        Prefix: 'postgresql/daily/',
        StartAfter: backdated[0].key,
        MaxKeys: 1,
      }),
    );
    expect(page.Contents?.map(c => c.Key)).toEqual([backdated[1].key]);
    expect(page.IsTruncated).toBe(true);

    const rest = await client.send(
      new ListObjectsV2Command({
        Bucket: BUCKET,
        Prefix: 'postgresql/daily/',
        ContinuationToken: page.NextContinuationToken,
      }),
    );
    expect(rest.Contents?.map(c => c.Key)).toEqual([backdated[2].key]);
    expect(rest.IsTruncated).toBe(false);
  });

  it('stores the exact bytes of a streamed 12 MiB multipart upload', async () => {
    // @aws-sdk/lib-storage is not installed, so drive the same multipart API it uses.
    const total = 12 * 1024 * 1024;
    const partSize = 5 * 1024 * 1024;
    const data = randomBytes(total);
    const expected = createHash('sha256').update(data).digest('hex');
    const key = 'postgresql/full/big.dump';

    // stream the source in 1 MiB chunks and cut 5 MiB parts from it
    const source = Readable.from(
      (function* chunks() {
        for (let off = 0; off < total; off += 1024 * 1024) {
          yield data.subarray(off, off + 1024 * 1024);
        }
      })(),
    );
    const { UploadId } = await client.send(
      new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }),
    );
    const parts: { ETag?: string; PartNumber: number }[] = [];
    let pending: Buffer[] = [];
    let pendingSize = 0;
    const flush = async () => {
      const PartNumber = parts.length + 1;
      const res = await client.send(
        new UploadPartCommand({
          Bucket: BUCKET,
          Key: key,
          UploadId,
          PartNumber,
          Body: Buffer.concat(pending),
        }),
      );
      parts.push({ ETag: res.ETag, PartNumber });
      pending = [];
      pendingSize = 0;
    };
    for await (const chunk of source) {
      pending.push(chunk as Buffer);
      pendingSize += (chunk as Buffer).length;
      if (pendingSize >= partSize) await flush();
    }
    if (pendingSize > 0) await flush();
    expect(parts).toHaveLength(3);
    const done = await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: key,
        UploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
    expect(done.ETag).toMatch(/-3"$/);

    const got = await client.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: key }),
    );
    expect(got.ContentLength).toBe(total);
    expect(await sha256OfBody(got.Body)).toBe(expected);
  });

  it('turns on server access logging into a target bucket the logging service may write to', async () => {
    await seedBucket(client, {
      bucket: 'logged-bucket',
      accessLogging: {
        targetBucket: 'logged-bucket-access-logs',
        targetPrefix: 'logged-bucket/',
      },
    });
    const logging = await client.send(
      new GetBucketLoggingCommand({ Bucket: 'logged-bucket' }),
    );
    expect(logging.LoggingEnabled).toEqual({
      TargetBucket: 'logged-bucket-access-logs',
      TargetPrefix: 'logged-bucket/',
    });
    const unlogged = await client.send(
      new GetBucketLoggingCommand({ Bucket: BUCKET }),
    );
    expect(unlogged.LoggingEnabled).toBeUndefined();
  });

  it('reports a missing encryption configuration', async () => {
    await seedBucket(client, { bucket: 'plain-bucket' });
    await expect(
      client.send(new GetBucketEncryptionCommand({ Bucket: 'plain-bucket' })),
    ).rejects.toMatchObject({
      name: 'ServerSideEncryptionConfigurationNotFoundError',
    });
  });

  it('is readable by the AWS CLI as an independent client', async () => {
    const { stdout } = await execFileAsync(
      'aws',
      [
        '--endpoint-url',
        sandbox.endpoint,
        's3',
        'ls',
        `s3://${BUCKET}/postgresql/daily/`,
      ],
      {
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: sandbox.credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: sandbox.credentials.secretAccessKey,
          AWS_DEFAULT_REGION: sandbox.region,
          AWS_CONFIG_FILE: '/dev/null',
          AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
          TZ: 'UTC',
        },
      },
    );
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    for (const o of backdated) {
      const name = path.posix.basename(o.key);
      const line = lines.find(l => l.endsWith(` ${name}`));
      expect(line).toBeDefined();
      // "2026-10-15 12:00:00       1000 2026-01-01.dump" (TZ=UTC)
      const stamp = o.lastModified.toISOString().slice(0, 19).replace('T', ' ');
      expect(line).toMatch(
        new RegExp(`^${stamp}\\s+${o.size} ${name.replace(/\./g, '\\.')}$`),
      );
    }
  });

  it('reset() clears all buckets', async () => {
    await sandbox.reset();
    const buckets = await client.send(new ListBucketsCommand({}));
    expect(buckets.Buckets ?? []).toEqual([]);
  });

  it('stop() frees the port, is idempotent, and a second sandbox can reuse it', async () => {
    const other = await S3Sandbox.start();
    expect(await canConnect(other.port)).toBe(true);
    await other.stop();
    await other.stop();
    expect(await canConnect(other.port)).toBe(false);

    const again = await S3Sandbox.start({ port: other.port });
    try {
      expect(again.endpoint).toBe(other.endpoint);
      expect(await canConnect(again.port)).toBe(true);
    } finally {
      await again.stop();
    }
  });

  it('fails clearly when moto_server is not on PATH', async () => {
    const oldPath = process.env.PATH;
    process.env.PATH = logDir;
    try {
      await expect(S3Sandbox.start()).rejects.toThrow(
        /moto_server' was not found on PATH; install it with: pip install "moto\[server\]"/,
      );
    } finally {
      process.env.PATH = oldPath;
    }
  });

  it('fails clearly when the port is taken', async () => {
    await expect(S3Sandbox.start({ port: sandbox.port })).rejects.toThrow(
      `port ${sandbox.port} on 127.0.0.1 is already in use`,
    );
  });

  it('fails clearly with the log tail when moto exits early', async () => {
    // a moto_server whose interpreter prints an error and exits
    const binDir = fs.mkdtempSync(path.join(logDir, 'bin-'));
    const fakePython = path.join(binDir, 'python3');
    fs.writeFileSync(
      fakePython,
      '#!/bin/sh\necho "ImportError: no module named moto" >&2\nexit 3\n',
      { mode: 0o755 },
    );
    fs.writeFileSync(path.join(binDir, 'moto_server'), `#!${fakePython}\n`, {
      mode: 0o755,
    });
    const oldPath = process.env.PATH;
    process.env.PATH = `${binDir}${path.delimiter}${oldPath}`;
    try {
      await expect(
        S3Sandbox.start({ logFile: path.join(logDir, 'bad.log') }),
      ).rejects.toThrow(
        /moto_server -H 127\.0\.0\.1 -p \d+.*exited before it was ready \(exit code 3\)\. Log tail:\nImportError: no module named moto/s,
      );
    } finally {
      process.env.PATH = oldPath;
    }
  });

  it('rejects an invalid port', async () => {
    await expect(S3Sandbox.start({ port: 70000 })).rejects.toThrow(
      'S3Sandbox: invalid port 70000',
    );
  });
});
