import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  GetBucketEncryptionCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectsV2CommandInput,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  GeneratedHistories,
  GeneratedObject,
  GeneratedS3,
} from './GeneratedS3';
import { S3Sandbox, putObjectsInBulk } from './S3Sandbox';
import { seedBucket } from './seedBuckets';

jest.setTimeout(60_000);

const BUCKET = 'generated-histories';
const DAY = 86_400_000;
const newest = Math.floor(Date.now() / 1000) * 1000 - 3 * 3_600_000;

/** Three databases' histories, 30 daily dumps with manifests each; the rule both sides share. */
function historyOf(db: number): GeneratedObject[] {
  const objects: GeneratedObject[] = [];
  for (let day = 0; day < 30; day++) {
    const at = new Date(newest - day * DAY);
    const stamp = at.toISOString().replace(/[-:]/g, '').slice(0, 15);
    const key = `pg/db-${db}/bench_${stamp.replace('T', '_')}.dump`;
    const lastModified = new Date(at.getTime() + 60_000);
    objects.push({ key, body: 'x'.repeat(100 + db + day), lastModified });
    objects.push({
      key: `${key}.manifest.json`,
      body: JSON.stringify({ key, sizeBytes: 100 + db + day, note: '<&>' }),
      lastModified,
    });
  }
  return objects.sort((a, b) => (a.key < b.key ? -1 : 1));
}

const histories: GeneratedHistories = {
  list: (bucket, prefix) => {
    const db = /^pg\/db-(\d+)\//.exec(prefix);
    return bucket === BUCKET && db ? historyOf(Number(db[1])) : undefined;
  },
  get: (bucket, key) => {
    const db = /^pg\/db-(\d+)\//.exec(key);
    return bucket === BUCKET && db
      ? historyOf(Number(db[1])).find(o => o.key === key)
      : undefined;
  },
};

describe('GeneratedS3', () => {
  let moto: S3Sandbox;
  let generated: GeneratedS3;
  let direct: S3Client;
  let viaGenerated: S3Client;

  beforeAll(async () => {
    const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'generated-s3-'));
    moto = await S3Sandbox.start({ logFile: path.join(logDir, 'moto.log') });
    direct = new S3Client(moto.clientConfig());
    await seedBucket(direct, { bucket: BUCKET, encryption: 'AES256' });
    await putObjectsInBulk(moto.endpoint, BUCKET, [0, 1, 2].flatMap(historyOf));
    generated = new GeneratedS3(moto.endpoint, histories);
    await generated.start();
    viaGenerated = new S3Client({
      ...moto.clientConfig(),
      endpoint: generated.url,
    });
  });

  afterAll(async () => {
    direct?.destroy();
    viaGenerated?.destroy();
    await generated?.stop();
    await moto?.stop();
  });

  /** Every page of a listing, as the SDK parses it: what the backend sees. */
  async function pages(client: S3Client, input: ListObjectsV2CommandInput) {
    const seen = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({
          ...input,
          ...(token ? { ContinuationToken: token, StartAfter: undefined } : {}),
        }),
      );
      seen.push({
        keyCount: page.KeyCount,
        isTruncated: page.IsTruncated,
        prefix: page.Prefix,
        contents: page.Contents?.map(c => ({
          key: c.Key,
          size: c.Size,
          etag: c.ETag,
          lastModified: c.LastModified?.toISOString(),
        })),
      });
      token = page.NextContinuationToken;
    } while (token);
    return seen;
  }

  it.each<[string, ListObjectsV2CommandInput]>([
    ['a whole prefix', { Bucket: BUCKET, Prefix: 'pg/db-1/' }],
    ['a prefix with a key stem', { Bucket: BUCKET, Prefix: 'pg/db-2/bench_' }],
    [
      'from StartAfter, in pages of 7',
      {
        Bucket: BUCKET,
        Prefix: 'pg/db-0/',
        StartAfter: historyOf(0)[31].key,
        MaxKeys: 7,
      },
    ],
    [
      'StartAfter past the newest key',
      { Bucket: BUCKET, Prefix: 'pg/db-0/', StartAfter: 'pg/db-0/z' },
    ],
  ])('lists %s exactly as moto does', async (_, input) => {
    const expected = await pages(direct, input);
    expect(expected.flatMap(p => p.contents ?? []).length).toBeGreaterThan(
      input.StartAfter === 'pg/db-0/z' ? -1 : 5,
    );
    expect(await pages(viaGenerated, input)).toEqual(expected);
  });

  it('serves an object with the bytes, size, ETag and date moto serves', async () => {
    const key = historyOf(1)[5].key;
    const read = async (client: S3Client) => {
      const object = await client.send(
        new GetObjectCommand({ Bucket: BUCKET, Key: key }),
      );
      const head = await client.send(
        new HeadObjectCommand({ Bucket: BUCKET, Key: key }),
      );
      return {
        body: await object.Body?.transformToString(),
        size: object.ContentLength,
        etag: object.ETag,
        lastModified: object.LastModified?.toISOString(),
        headSize: head.ContentLength,
        headEtag: head.ETag,
      };
    };
    const expected = await read(direct);
    expect(expected.body).toContain('"note":"<&>"');
    expect(await read(viaGenerated)).toEqual(expected);
  });

  it('serves the generated history of a database that moto does not hold', async () => {
    const [dump, manifest] = historyOf(3).slice(-2);
    const listed = await viaGenerated.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'pg/db-3/' }),
    );
    expect(listed.KeyCount).toBe(60);
    expect(listed.Contents?.slice(-2).map(c => c.Key)).toEqual([
      dump.key,
      manifest.key,
    ]);
    const object = await viaGenerated.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: manifest.key }),
    );
    expect(await object.Body?.transformToString()).toBe(manifest.body);
    await expect(
      direct.send(new GetObjectCommand({ Bucket: BUCKET, Key: manifest.key })),
    ).rejects.toMatchObject({ name: 'NoSuchKey' });
  });

  it('forwards what is not generated: other prefixes, bucket settings and writes', async () => {
    await viaGenerated.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'other/a.txt',
        Body: 'hello',
      }),
    );
    const listed = await viaGenerated.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'other/' }),
    );
    expect(listed.Contents?.map(c => c.Key)).toEqual(['other/a.txt']);
    const encryption = await viaGenerated.send(
      new GetBucketEncryptionCommand({ Bucket: BUCKET }),
    );
    expect(
      encryption.ServerSideEncryptionConfiguration?.Rules?.[0]
        ?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm,
    ).toBe('AES256');
    await expect(
      viaGenerated.send(
        new GetObjectCommand({ Bucket: BUCKET, Key: 'pg/db-9/missing.dump' }),
      ),
    ).rejects.toMatchObject({ name: 'NoSuchKey' });
  });
});
