import {
  CreateBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import fs from 'node:fs';
import path from 'node:path';
import { Sandbox } from '../Sandbox';
import { S3Sandbox } from '../s3/S3Sandbox';
import { FaultProxy } from './FaultProxy';

jest.setTimeout(60_000);

describe('FaultProxy', () => {
  let sandbox: Sandbox;
  let s3: S3Sandbox;
  let k8s: FaultProxy;
  let storage: FaultProxy;

  beforeAll(async () => {
    sandbox = await Sandbox.start({ namespaces: ['a', 'b', 'c'] });
    s3 = await S3Sandbox.start();
    // Plain HTTP in front of the HTTPS API server, so the tests can use fetch.
    k8s = await FaultProxy.start({
      target: sandbox.url,
      flavor: 'kubernetes',
      targetCa: sandbox.caCertificate,
      seed: 7,
    });
    storage = await FaultProxy.start({
      target: s3.endpoint,
      flavor: 's3',
      seed: 7,
    });
    await new S3Client(s3.clientConfig()).send(
      new CreateBucketCommand({ Bucket: 'faults' }),
    );
  });

  afterAll(async () => {
    await k8s?.stop();
    await storage?.stop();
    await s3?.stop();
    await sandbox?.stop();
  });

  afterEach(() => {
    k8s.clear();
    storage.clear();
  });

  const get = (url: string, init: RequestInit = {}) =>
    fetch(`${k8s.url}${url}`, {
      ...init,
      headers: { Authorization: `Bearer ${sandbox.adminToken}` },
    });

  const s3Client = () =>
    new S3Client({
      ...s3.clientConfig(),
      endpoint: storage.url,
      maxAttempts: 1,
    });

  it('passes requests through untouched without rules', async () => {
    const res = await get('/api/v1/namespaces');
    expect(res.status).toBe(200);
    const names = (await res.json()).items.map((n: any) => n.metadata.name);
    expect(names).toEqual(expect.arrayContaining(['a', 'b', 'c', 'default']));
    expect(k8s.log).toContainEqual({
      method: 'GET',
      path: '/api/v1/namespaces',
    });
  });

  it('answers 5xx and 403 in Kubernetes words, only for matching requests', async () => {
    k8s.setRules([
      { path: /namespaces$/, fault: { kind: 'status', status: 503 } },
      { path: /\/a$/, fault: { kind: 'forbidden' } },
    ]);
    const unavailable = await get('/api/v1/namespaces');
    expect(unavailable.status).toBe(503);
    expect(await unavailable.json()).toMatchObject({
      kind: 'Status',
      reason: 'ServiceUnavailable',
      code: 503,
    });
    const forbidden = await get('/api/v1/namespaces/a');
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({
      reason: 'Forbidden',
      code: 403,
    });
    expect((await get('/api/v1/namespaces/b')).status).toBe(200);
  });

  it('answers S3 AccessDenied and 500 as S3 errors the SDK understands', async () => {
    storage.setRules([
      { method: 'GET', query: /list-type=2/, fault: { kind: 'forbidden' } },
    ]);
    const denied = await s3Client()
      .send(new ListObjectsV2Command({ Bucket: 'faults' }))
      .catch(e => e);
    expect(denied.name).toBe('AccessDenied');
    expect(denied.$metadata.httpStatusCode).toBe(403);
    storage.setRules([{ fault: { kind: 'status', status: 500 } }]);
    const failed = await s3Client()
      .send(new ListObjectsV2Command({ Bucket: 'faults' }))
      .catch(e => e);
    expect(failed.$metadata.httpStatusCode).toBe(500);
  });

  it('paginates lists and makes endless ones', async () => {
    k8s.setRules([{ fault: { kind: 'paginate', pageSize: 1 } }]);
    const page = await (await get('/api/v1/namespaces')).json();
    expect(page.items).toHaveLength(1);
    expect(page.metadata.continue).toEqual(expect.any(String));

    k8s.setRules([{ fault: { kind: 'endless-pages' } }]);
    const first = await (await get('/api/v1/namespaces')).json();
    const again = await (
      await get(
        `/api/v1/namespaces?continue=${encodeURIComponent(
          first.metadata.continue,
        )}`,
      )
    ).json();
    expect(again.metadata.continue).toBe(first.metadata.continue);
    expect(again.items).toEqual(first.items);

    const client = new S3Client(s3.clientConfig());
    for (const key of ['p/1', 'p/2', 'p/3'])
      await client.send(
        new PutObjectCommand({ Bucket: 'faults', Key: key, Body: key }),
      );
    storage.setRules([{ fault: { kind: 'paginate', pageSize: 2 } }]);
    const listed = await s3Client().send(
      new ListObjectsV2Command({ Bucket: 'faults', Prefix: 'p/' }),
    );
    expect(listed.KeyCount).toBe(2);
    expect(listed.IsTruncated).toBe(true);
    storage.setRules([{ fault: { kind: 'endless-pages' } }]);
    const endless = await s3Client().send(
      new ListObjectsV2Command({ Bucket: 'faults', Prefix: 'p/' }),
    );
    expect(endless.IsTruncated).toBe(true);
    const next = await s3Client().send(
      new ListObjectsV2Command({
        Bucket: 'faults',
        Prefix: 'p/',
        ContinuationToken: endless.NextContinuationToken,
      }),
    );
    expect(next.Contents?.map(o => o.Key)).toEqual(['p/1', 'p/2', 'p/3']);
  });

  it('truncates bodies, resets connections, hangs and delays', async () => {
    k8s.setRules([{ path: /namespaces$/, fault: { kind: 'truncate' } }]);
    const cut = await get('/api/v1/namespaces');
    expect(cut.status).toBe(200);
    await expect(cut.json()).rejects.toThrow(/JSON/);

    k8s.setRules([{ fault: { kind: 'reset' } }]);
    await expect(get('/api/v1/namespaces')).rejects.toThrow();

    k8s.setRules([{ fault: { kind: 'hang' } }]);
    await expect(
      get('/api/v1/namespaces', { signal: AbortSignal.timeout(300) }),
    ).rejects.toThrow(/aborted|timeout/i);

    k8s.setRules([{ fault: { kind: 'latency', ms: 300 } }]);
    const began = Date.now();
    expect((await get('/api/v1/namespaces')).status).toBe(200);
    expect(Date.now() - began).toBeGreaterThanOrEqual(290);
  });

  it('ends a watch early', async () => {
    k8s.setRules([
      { query: /watch=true/, fault: { kind: 'drop-stream', afterMs: 200 } },
    ]);
    const began = Date.now();
    const res = await get('/api/v1/namespaces?watch=true');
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(Date.now() - began).toBeLessThan(5_000);
    expect(text).toContain('"ADDED"');
  });

  it('lets the upstream disappear and come back; real clients see resets', async () => {
    const tlsProxy = await FaultProxy.start({
      target: sandbox.url,
      flavor: 'kubernetes',
      targetCa: sandbox.caCertificate,
      tls: {
        key: fs.readFileSync(
          path.join(sandbox.rootDir, 'apiserver.key'),
          'utf8',
        ),
        cert: sandbox.caCertificate,
      },
    });
    try {
      const kc = new KubeConfig();
      kc.loadFromString(
        sandbox.kubeconfig().replace(sandbox.url, tlsProxy.url),
      );
      const core = kc.makeApiClient(CoreV1Api);
      expect((await core.readNamespace({ name: 'a' })).metadata?.name).toBe(
        'a',
      );
      tlsProxy.disappear();
      await expect(core.readNamespace({ name: 'a' })).rejects.toThrow();
      tlsProxy.reappear();
      expect((await core.readNamespace({ name: 'a' })).metadata?.name).toBe(
        'a',
      );
      expect(tlsProxy.log.some(r => r.fault === 'disappeared')).toBe(true);
    } finally {
      await tlsProxy.stop();
    }
  });

  it('retires rules after `times` and replays the same faults for the same seed', async () => {
    k8s.setRules([{ fault: { kind: 'status', status: 500 }, times: 1 }]);
    expect((await get('/api/v1/namespaces')).status).toBe(500);
    expect((await get('/api/v1/namespaces')).status).toBe(200);

    const run = async () => {
      k8s.setRules(
        [{ fault: { kind: 'status', status: 502 }, probability: 0.5 }],
        99,
      );
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++)
        statuses.push((await get('/api/v1/namespaces/a')).status);
      return statuses;
    };
    const first = await run();
    expect(first).toContain(502);
    expect(first).toContain(200);
    expect(await run()).toEqual(first);
  });
});
