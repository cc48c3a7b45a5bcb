import http from 'node:http';
import { AddressInfo } from 'node:net';
import { PgBackupClient } from './PgBackupClient';

describe('PgBackupClient', () => {
  let server: http.Server;
  let base: string;
  const requests: Array<{ method?: string; url?: string }> = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      requests.push({ method: req.method, url: req.url });
      if (req.url?.endsWith('/missing-db/health')) {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end(
          JSON.stringify({
            error: {
              name: 'NotFoundError',
              message: 'entity resource:default/missing-db not found',
            },
            request: { method: 'GET', url: req.url },
            response: { statusCode: 404 },
          }),
        );
        return;
      }
      res.writeHead(req.method === 'POST' ? 202 : 200, {
        'Content-Type': 'application/json',
      });
      res.end(JSON.stringify({ url: req.url }));
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${
      (server.address() as AddressInfo).port
    }/api/pg-backup`;
  });

  afterAll(() => new Promise(resolve => server.close(resolve)));

  const client = () =>
    new PgBackupClient({
      discoveryApi: { getBaseUrl: async () => base },
      fetchApi: { fetch: (input, init) => fetch(input, init) },
    });

  it('addresses the entity by kind, namespace and name, encoded', async () => {
    const body: any = await client().getHealth(
      'resource:default/qawave-postgresql',
    );
    expect(body.url).toBe(
      '/api/pg-backup/entities/resource/default/qawave-postgresql/health',
    );
    await client().triggerBackup('Resource:team a/db');
    expect(requests[requests.length - 1]).toEqual({
      method: 'POST',
      url: '/api/pg-backup/entities/Resource/team%20a/db/backups',
    });
  });

  it('pages backups with an encoded cursor and reads the storage policy', async () => {
    const page: any = await client().getBackups('resource:default/db', {
      limit: 5,
      cursor: 'pg/db_20261124_020000.dump',
    });
    expect(page.url).toBe(
      '/api/pg-backup/entities/resource/default/db/backups?limit=5&cursor=pg%2Fdb_20261124_020000.dump',
    );
    const first: any = await client().getBackups('resource:default/db');
    expect(first.url).toBe(
      '/api/pg-backup/entities/resource/default/db/backups',
    );
    const storage: any = await client().getStoragePolicy('resource:default/db');
    expect(storage.url).toBe(
      '/api/pg-backup/entities/resource/default/db/storage',
    );
    const job: any = await client().getJob(
      'resource:default/db',
      'db-backup-manual-1',
    );
    expect(job.url).toBe(
      '/api/pg-backup/entities/resource/default/db/jobs/db-backup-manual-1',
    );
  });

  it('throws a ResponseError carrying the backend message', async () => {
    await expect(
      client().getHealth('resource:default/missing-db'),
    ).rejects.toMatchObject({
      name: 'ResponseError',
      body: {
        error: { message: 'entity resource:default/missing-db not found' },
      },
    });
  });
});
