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
      if (req.url?.includes('/logs')) {
        res.writeHead(200, {
          'Content-Type': 'text/plain',
          'X-Pod-Name': 'db-backup-1-abcde',
        });
        if (!req.url.includes('follow=true')) {
          res.end(`log of ${req.url}`);
          return;
        }
        // A followed log arrives in pieces while the Job runs.
        res.write('line 1\n');
        setTimeout(() => res.end('line 2\n'), 50);
        return;
      }
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
      if (/\/(drills|approvals)(\?|$)/.test(req.url ?? '')) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ items: [{ url: req.url }] }));
        return;
      }
      if (req.url?.endsWith('/decision')) {
        let body = '';
        req.on('data', chunk => (body += chunk));
        req.on('end', () => {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(
            JSON.stringify({
              url: req.url,
              type: req.headers['content-type'],
              body: JSON.parse(body),
            }),
          );
        });
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

  it('lists jobs, reads a log tail with its pod and follows a log in pieces', async () => {
    const jobs: any = await client().getJobs('resource:default/db');
    expect(jobs.url).toBe('/api/pg-backup/entities/resource/default/db/jobs');
    const log = await client().getJobLog('resource:default/db', 'db-backup-1', {
      tailLines: 100,
    });
    expect(log).toEqual({
      pod: 'db-backup-1-abcde',
      text: 'log of /api/pg-backup/entities/resource/default/db/jobs/db-backup-1/logs?tailLines=100',
    });
    const chunks: string[] = [];
    await client().followJobLog('resource:default/db', 'db-backup-1', {
      pod: 'db-backup-1-abcde',
      signal: new AbortController().signal,
      onText: text => chunks.push(text),
    });
    expect(chunks.join('')).toBe('line 1\nline 2\n');
    expect(chunks.length).toBeGreaterThanOrEqual(2);
    expect(requests[requests.length - 1].url).toBe(
      '/api/pg-backup/entities/resource/default/db/jobs/db-backup-1/logs?pod=db-backup-1-abcde&follow=true',
    );
  });

  it('stops following a log quietly when aborted', async () => {
    const abort = new AbortController();
    const chunks: string[] = [];
    await client().followJobLog('resource:default/db', 'db-backup-1', {
      signal: abort.signal,
      onText: text => {
        chunks.push(text);
        abort.abort();
      },
    });
    expect(chunks).toEqual(['line 1\n']);
  });

  it('asks for the fleet with repeated filter parameters', async () => {
    const fleet: any = await client().getFleet({
      status: ['critical', 'unknown'],
      owner: ['group:default/platform-team'],
    });
    expect(fleet.url).toBe(
      '/api/pg-backup/fleet?status=critical&status=unknown&owner=group%3Adefault%2Fplatform-team',
    );
    expect(((await client().getFleet()) as any).url).toBe(
      '/api/pg-backup/fleet',
    );
  });

  it('reads drills and approvals from their lists and posts a decision as JSON', async () => {
    expect(await client().getDrills('resource:default/db')).toEqual([
      { url: '/api/pg-backup/entities/resource/default/db/drills' },
    ]);
    expect(await client().getApprovals('resource:default/db')).toEqual([
      { url: '/api/pg-backup/entities/resource/default/db/approvals' },
    ]);
    expect(await client().getPendingApprovals()).toEqual([
      { url: '/api/pg-backup/approvals?state=pending' },
    ]);
    expect(
      await client().decideApproval('a/1', {
        decision: 'reject',
        comment: 'restore into a new database instead',
      }),
    ).toEqual({
      url: '/api/pg-backup/approvals/a%2F1/decision',
      type: 'application/json',
      body: {
        decision: 'reject',
        comment: 'restore into a new database instead',
      },
    });
  });
});
