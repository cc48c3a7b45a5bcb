// Each property checks the outcome its generated case calls for, so expectations are conditional.
/* eslint-disable jest/no-conditional-expect */
/* eslint jest/expect-expect: ["warn", { "assertFunctionNames": ["expect", "expectWellBehaved"] }] */
import fs from 'node:fs';
import path from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import permissionPlugin from '@backstage/plugin-permission-backend';
import { JsonObject } from '@backstage/types';
import fc from 'fast-check';
import request from 'supertest';
import { parse as parseYaml } from 'yaml';
import { Entity } from '@backstage/catalog-model';
import {
  PG_BACKUP_ANNOTATIONS,
  readBackupTarget,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import { pgBackupPlugin } from '../plugin';
import {
  BUCKET,
  TestWorld,
  USERS,
  recordingAuditor,
  recordingNotifications,
  testPolicyModule,
} from '../__testUtils__/testWorld';
import { hostileString, runs } from '../__testUtils__/hostileValues';
import { manualScheduler, waitForCatalog } from '../__testUtils__/testBackend';

jest.setTimeout(300_000);

const API = '/api/pg-backup';
const QAWAVE = `${API}/entities/resource/default/qawave-postgresql`;
/** Annotated with an invalid RPO: every entity route refuses it with 400 after validation. */
const BROKEN = `${API}/entities/resource/default/broken-db`;
/** Not annotated: 404 after validation. */
const PLAIN = `${API}/entities/resource/default/plain-db`;
const FAILED_JOB = 'postgresql-backup-29000000';
const UUID = '0f1e2d3c-4b5a-4968-8776-655443322110';

/** Statuses a refusal may have: bad input, not allowed, not found, conflict, body too large. */
const REFUSALS = [400, 403, 404, 409, 413];

/** Words a 400's message must contain one of: the field or value that was refused. */
const FIELDS =
  /\b(kind|namespace|name|job|limit|cursor|tailLines|pod|follow|status|state|body|backupKey|target|database|cluster|approvalId|confirmation|reason|checklist|notes|dryRun|idempotencyKey|decision|comment|annotations|JSON|entity|backup key|pg-backup\.io\/\w+)\b/i;

const as = (user: string) => mockCredentials.user.header(user);

/** Percent-encodes text; a lone surrogate (no UTF-8 form) is sent as U+FFFD, as browsers do. */
const encode = (text: string) =>
  encodeURIComponent(
    text.replace(
      /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
      '\ufffd',
    ),
  );

/** A path segment: a valid one, or hostile text percent-encoded (or raw, for the parts that allow it). */
const segment = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.constantFrom('resource', 'default', 'qawave-postgresql', 'x'),
  },
  { weight: 5, arbitrary: hostileString(30).map(encode) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '..',
      '%2e%2e',
      '%2e%2e%2f..',
      '%',
      '%zz',
      '%c0%ae',
      '%00',
      '%E2%80%AE',
      '.',
      'a'.repeat(300),
      '$(id)',
      '%3Bls',
      'Resource',
      'DEFAULT',
    ),
  },
);

const entityRoutes = [
  'health',
  'backups',
  'jobs',
  'storage',
  'operations',
  'approvals',
  'drills',
  `jobs/${FAILED_JOB}`,
  `jobs/${FAILED_JOB}/logs`,
];

/** A query string from hostile names, values, arrays and nested (qs) objects. */
const queryString = (names: string[]) =>
  fc
    .array(
      fc.tuple(
        fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom(...names) },
          {
            weight: 1,
            arbitrary: fc
              .constantFrom(...names)
              .map(
                n =>
                  fc.sample(
                    fc.constantFrom(
                      `${n}[]`,
                      `${n}[a]`,
                      `${n}[0][b]`,
                      `${n}[toString]`,
                      `${n}[valueOf]`,
                    ),
                    1,
                  )[0],
              ),
          },
          { weight: 1, arbitrary: hostileString(10) },
        ),
        fc.oneof(
          hostileString(30),
          fc.constantFrom(
            '0',
            '1',
            '20',
            '100',
            '101',
            '-1',
            '1.5',
            '1e3',
            'true',
            'false',
            'pending',
            'healthy',
            'critical',
            '',
          ),
          fc.integer().map(String),
        ),
        fc.boolean(),
      ),
      { maxLength: 4 },
    )
    .map(pairs =>
      pairs
        .map(
          ([name, value, raw]) =>
            `${encode(name).replace(/%5B/g, '[').replace(/%5D/g, ']')}=${
              raw ? value.replace(/[^\x21-\x7e]|[#&]/g, '') : encode(value)
            }`,
        )
        .join('&'),
    );

/** JSON bodies of the recovery routes: well-formed, half-right and hostile. */
const restoreTarget = fc.record(
  {
    kind: fc.oneof(
      fc.constantFrom('new-database', 'other-namespace', 'live'),
      hostileString(10),
    ),
    database: fc.oneof(
      fc.constantFrom('qawave', 'qawave_copy'),
      hostileString(70),
    ),
    namespace: fc.oneof(fc.constantFrom('qawave', 'other'), hostileString(70)),
    cluster: hostileString(70),
    extra: fc.anything(),
  },
  { requiredKeys: [] },
);
const anyValue = fc.oneof(
  hostileString(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 2 }),
);
const operationBody = fc.record(
  {
    kind: fc.oneof(
      {
        weight: 4,
        arbitrary: fc.constantFrom('restore', 'verify', 'emergency', 'drill'),
      },
      { weight: 1, arbitrary: anyValue },
    ),
    backupKey: fc.oneof(
      fc.constantFrom(
        'postgresql/daily/qawave_20260101_020000.dump',
        'postgresql/daily/../../etc/passwd',
        'postgresql/daily/%2e%2e%2fx.dump',
        'postgresql/daily/$(AWS_SECRET_ACCESS_KEY).dump',
        'postgresql/daily/x;rm -rf /.dump',
        'postgresql/daily/\ud800.dump',
      ),
      hostileString(60),
      fc.string({ minLength: 1000, maxLength: 1100 }),
      anyValue,
    ),
    target: fc.oneof(restoreTarget, anyValue),
    approvalId: fc.oneof(fc.constant(UUID), fc.uuid(), anyValue),
    confirmation: fc.oneof(fc.constant('qawave'), anyValue),
    reason: fc.oneof(
      hostileString(),
      fc.string({ minLength: 2000, maxLength: 2100 }),
    ),
    checklist: fc.oneof(
      fc.array(
        fc.record(
          {
            phase: fc.oneof(fc.constantFrom('pre', 'during', 'post'), anyValue),
            item: anyValue,
            done: anyValue,
          },
          { requiredKeys: [] },
        ),
        { maxLength: 3 },
      ),
      anyValue,
    ),
    notes: anyValue,
    dryRun: fc.oneof(fc.boolean(), anyValue),
    idempotencyKey: anyValue,
    decision: fc.oneof(fc.constantFrom('approve', 'reject'), anyValue),
    comment: anyValue,
    unexpected: anyValue,
  },
  { requiredKeys: [] },
);

/** A raw request body: JSON text, broken JSON or not JSON at all. */
const rawBody = fc.oneof(
  operationBody.map(b => JSON.stringify(b)),
  fc.constantFrom(
    '{',
    '{"kind":',
    'null',
    '[]',
    '"restore"',
    '42',
    'true',
    '{"__proto__":{"admin":true}}',
    '{"constructor":{"prototype":{}}}',
  ),
  hostileString(60),
  fc.constant(JSON.stringify({ notes: 'x'.repeat(20_000) })),
);

const A = PG_BACKUP_ANNOTATIONS;
/** Text a YAML catalog file can hold: no lone surrogates or control characters. */
const annotationText = hostileString(60).map(t =>
  t.replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    '',
  ),
);
/** Databases whose annotations are valid, except some replaced with hostile text. */
const hostileEntities: Entity[] = fc
  .sample(
    fc.dictionary(fc.constantFrom(...Object.values(A)), annotationText, {
      minKeys: 1,
      maxKeys: 4,
    }),
    { numRuns: runs(40), seed: 8 },
  )
  .map((overrides, i) => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: {
      name: `hostile-${i}`,
      annotations: {
        [A.namespace]: 'qawave',
        [A.backupCronJob]: 'postgresql-backup',
        [A.database]: 'qawave',
        [A.bucket]: BUCKET,
        [A.prefix]: 'postgresql/daily/',
        ...overrides,
      },
    },
    spec: { type: 'database', owner: USERS.owner, system: 'qawave' },
  }));

describe('pg-backup HTTP API with hostile input (fuzz, over HTTP)', () => {
  let world: TestWorld;
  let backend: Awaited<ReturnType<typeof startTestBackend>>;
  let server: any;
  const scheduler = manualScheduler();
  const auditor = recordingAuditor();
  const counts: Record<string, number> = {};

  beforeAll(async () => {
    world = await TestWorld.start();
    // A second catalog file of databases with generated hostile annotations (its own location,
    // so the world's entities load whatever the catalog makes of these).
    fs.writeFileSync(
      path.join(world.dir, 'hostile-entities.yaml'),
      hostileEntities.map(e => JSON.stringify(e)).join('\n---\n'),
    );
    const config = world.config() as {
      catalog: { locations: Array<{ type: string; target: string }> };
    };
    config.catalog.locations.push({
      type: 'file',
      target: path.join(world.dir, 'hostile-entities.yaml'),
    });
    backend = await startTestBackend({
      features: [
        pgBackupPlugin,
        catalogPlugin,
        permissionPlugin,
        testPolicyModule,
        mockServices.rootConfig.factory({
          data: config as unknown as JsonObject,
        }),
        scheduler.factory({ skipTaskRunOnStartup: true }),
        recordingNotifications().factory,
        auditor.factory,
      ],
    });
    server = backend.server;
    await waitForCatalog(server, `${QAWAVE}/health`);
  });

  afterAll(async () => {
    // eslint-disable-next-line no-console
    console.log(
      `HTTP fuzz requests per family and status: ${JSON.stringify(counts)}`,
    );
    await backend?.stop();
    await world?.stop();
  });

  /** The invariants every answer keeps: no 5xx, refusals are JSON naming the field, no secret. */
  function expectWellBehaved(
    family: string,
    what: string,
    res: request.Response,
    allowed: number[] = [200, 201, 202, ...REFUSALS],
  ) {
    const key = `${family} ${res.status}`;
    counts[key] = (counts[key] ?? 0) + 1;
    const context = `${what.slice(0, 300)} -> ${res.status} ${res.text?.slice(
      0,
      300,
    )}`;
    // Node's HTTP server refuses a request line over its 16 kB header limit before any router.
    if (res.status === 431 && what.length > 16_000) return;
    expect({ context, ok: allowed.includes(res.status) }).toEqual({
      context,
      ok: true,
    });
    expect(res.text ?? '').not.toContain('must-never-leak');
    expect(res.text ?? '').not.toMatch(/\n\s+at [^\n]+\.(ts|js):\d+/);
    if (res.status >= 400) {
      expect({ context, message: typeof res.body?.error?.message }).toEqual({
        context,
        message: 'string',
      });
      if (res.status === 400)
        expect({ context, names: FIELDS.test(res.body.error.message) }).toEqual(
          {
            context,
            names: true,
          },
        );
    }
  }

  it('covers every route of openapi.yaml', () => {
    const spec = parseYaml(
      fs.readFileSync(path.join(__dirname, '../schema/openapi.yaml'), 'utf8'),
    );
    const fuzzed = [
      '/fleet',
      '/approvals',
      '/operations/{id}',
      '/operations/{id}/cancel',
      '/approvals/{id}',
      '/approvals/{id}/decision',
      ...[...entityRoutes, 'jobs/{job}', 'jobs/{job}/logs'].map(
        r => `/entities/{kind}/{namespace}/{name}/${r}`,
      ),
    ];
    for (const route of Object.keys(spec.paths))
      expect(fuzzed).toContain(route);
  });

  it('answers hostile entity refs and job names on every entity route without a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(
          fc.oneof(fc.constant('resource'), segment),
          fc.oneof(fc.constant('default'), segment),
          fc.oneof(
            fc.constantFrom('qawave-postgresql', 'broken-db', 'plain-db'),
            segment,
          ),
        ),
        fc.constantFrom(...entityRoutes),
        fc.oneof(fc.constant(FAILED_JOB), segment),
        fc.constantFrom('get', 'post'),
        async ([kind, namespace, name], route, job, method) => {
          const sub = route.replace(FAILED_JOB, job);
          const url = `${API}/entities/${kind}/${namespace}/${name}/${sub}`;
          // POST only where the route has one; the body is valid so the path is what is tested.
          const post =
            method === 'post' && ['operations', 'approvals'].includes(route);
          const res = post
            ? await request(server)
                .post(url)
                .set('Authorization', as(USERS.owner))
                .send({ kind: 'verify', dryRun: true, reason: 'fuzz' })
            : await request(server)
                .get(url)
                .set('Authorization', as(USERS.owner));
          expectWellBehaved(
            'entity path',
            `${post ? 'POST' : 'GET'} ${url}`,
            res,
          );
        },
      ),
      { numRuns: runs(500) },
    );
  });

  it('answers hostile query strings on every route that reads one without a 5xx', async () => {
    const routes: Array<[string, string[]]> = [
      [`${QAWAVE}/backups`, ['limit', 'cursor']],
      [`${QAWAVE}/jobs/${FAILED_JOB}/logs`, ['tailLines', 'pod', 'follow']],
      [`${API}/fleet`, ['owner', 'system', 'status']],
      [`${QAWAVE}/operations`, ['limit']],
      [`${QAWAVE}/drills`, ['limit']],
      [`${API}/approvals`, ['state']],
    ];
    await fc.assert(
      fc.asyncProperty(
        fc
          .constantFrom(...routes)
          .chain(([url, names]) =>
            queryString(names).map(query => ({ url, query })),
          ),
        async ({ url, query }) => {
          // Following a log streams until the pod ends; the fuzz reads tails only.
          const safe = query.replace(/follow=true\b/g, 'follow=yes');
          const res = await request(server)
            .get(`${url}?${safe}`)
            .set('Authorization', as(USERS.owner));
          expectWellBehaved('query', `GET ${url}?${safe}`, res);
        },
      ),
      { numRuns: runs(500) },
    );
  });

  it('answers hostile JSON bodies of every POST route without a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          `${BROKEN}/operations`,
          `${PLAIN}/operations`,
          `${QAWAVE}/operations`,
          `${BROKEN}/approvals`,
          `${PLAIN}/approvals`,
          `${API}/approvals/${UUID}/decision`,
          `${API}/operations/${UUID}/cancel`,
          `${PLAIN}/backups`,
        ),
        rawBody,
        fc.constantFrom(
          'application/json',
          'text/plain',
          'application/x-www-form-urlencoded',
        ),
        async (url, body, contentType) => {
          // On the real database only plans (dry runs) are made: a fuzzed restore must not run.
          let sent = body;
          if (url === `${QAWAVE}/operations`) {
            try {
              const parsed = JSON.parse(body);
              if (
                typeof parsed !== 'object' ||
                parsed === null ||
                Array.isArray(parsed)
              )
                return;
              sent = JSON.stringify({ ...parsed, dryRun: true });
            } catch {
              // Not JSON: refused before anything could start.
            }
          }
          const res = await request(server)
            .post(url)
            .set('Authorization', as(USERS.owner))
            .set('Content-Type', contentType)
            .send(sent);
          expectWellBehaved(
            'body',
            `POST ${url} ${contentType} ${sent.slice(0, 200)}`,
            res,
            [200, 201, ...REFUSALS],
          );
        },
      ),
      { numRuns: runs(500) },
    );
  });

  it('plans dry runs and files approvals with hostile values in well-formed bodies, accepting only valid ones', async () => {
    const text = (max: number) =>
      hostileString(max + 10).filter(t => t.length >= 1 && t.length <= max);
    const wellFormed = fc.record(
      {
        kind: fc.constantFrom('restore', 'verify', 'emergency', 'drill'),
        backupKey: fc.oneof(
          fc.constantFrom(...[0, 1, 3].map(i => `postgresql/daily/${i}`)),
          text(1024).map(t => `postgresql/daily/${t}`),
          text(1024),
        ),
        target: fc.record(
          {
            kind: fc.constantFrom('new-database', 'other-namespace', 'live'),
            database: fc.oneof(
              fc.constantFrom('qawave', 'qawave_copy'),
              text(63),
            ),
            namespace: fc.oneof(fc.constantFrom('qawave', 'other'), text(63)),
            cluster: fc.oneof(fc.constantFrom('nope', 'sandbox'), text(63)),
          },
          { requiredKeys: ['kind', 'database'] },
        ),
        confirmation: text(255),
        reason: text(2000),
      },
      { requiredKeys: ['kind'] },
    );
    await fc.assert(
      fc.asyncProperty(
        wellFormed,
        fc.constantFrom('operations', 'approvals'),
        async (raw, route) => {
          // Real keys in place of the placeholders, so some requests are valid.
          const body = {
            ...raw,
            ...(raw.backupKey?.match(/^postgresql\/daily\/\d$/) && {
              backupKey: world.keys[Number(raw.backupKey.slice(-1))],
            }),
          };
          const sent =
            route === 'operations'
              ? { ...body, dryRun: true, reason: undefined }
              : {
                  ...body,
                  reason: body.reason ?? 'fuzz',
                  confirmation: undefined,
                };
          const res = await request(server)
            .post(`${QAWAVE}/${route}`)
            .set('Authorization', as(USERS.owner))
            .send(sent);
          expectWellBehaved(
            `valid-shape ${route}`,
            `POST ${route} ${JSON.stringify(sent).slice(0, 300)}`,
            res,
            [200, 201, ...REFUSALS],
          );
          if (res.status >= 300) return;
          const accepted = res.body as {
            backupKey?: string;
            target?: { database: string; namespace?: string };
            problems?: string[];
          };
          // A dry run may show a plan with problems (each a sentence); it then starts nothing.
          if (accepted.problems?.length) {
            for (const problem of accepted.problems)
              expect(JSON.stringify(problem)).toMatch(FIELDS);
            return;
          }
          // Whatever was accepted names a real backup under the prefix and a usable database.
          if (accepted.backupKey !== undefined)
            expect(world.keys).toContain(accepted.backupKey);
          if (accepted.target) {
            expect(accepted.target.database).toMatch(
              /^[A-Za-z_][A-Za-z0-9_-]{0,62}$/,
            );
            if (accepted.target.namespace !== undefined)
              expect(accepted.target.namespace).toMatch(
                /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
              );
          }
        },
      ),
      { numRuns: runs(400) },
    );
  });

  it('refuses databases with hostile annotations with a 400 naming each bad annotation', async () => {
    let refused = 0;
    for (const entity of hostileEntities) {
      const url = `${API}/entities/resource/default/${entity.metadata.name}/health`;
      const res = await request(server)
        .get(url)
        .set('Authorization', as(USERS.owner));
      expectWellBehaved('annotations', `GET ${url}`, res, [200, 400, 404]);
      const annotations = entity.metadata.annotations!;
      const expected = readBackupTarget({
        ...entity,
        metadata: { ...entity.metadata, namespace: 'default' },
      });
      if (!annotations[A.backupCronJob]?.trim()) {
        // Without the marker annotation the entity is not a pg-backup database.
        expect(res.status).toBe(404);
        continue;
      }
      if (expected.ok) {
        expect(res.status).toBe(200);
        continue;
      }
      refused++;
      expect(res.status).toBe(400);
      for (const problem of expected.problems)
        expect(res.body.error.message).toContain(problem.annotation);
    }
    expect(refused).toBeGreaterThan(hostileEntities.length / 3);
  });

  it('answers hostile operation and approval ids without a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.uuid(), segment),
        fc.constantFrom(
          ['get', '/operations/:id'],
          ['post', '/operations/:id/cancel'],
          ['get', '/approvals/:id'],
          ['post', '/approvals/:id/decision'],
        ),
        async (id, [method, route]) => {
          const url = `${API}${route.replace(':id', id)}`;
          const res =
            method === 'get'
              ? await request(server)
                  .get(url)
                  .set('Authorization', as(USERS.owner))
              : await request(server)
                  .post(url)
                  .set('Authorization', as(USERS.owner))
                  .send({ decision: 'approve' });
          expectWellBehaved('ids', `${method} ${url}`, res, [200, ...REFUSALS]);
          if (res.status === 404)
            expect(res.body.error.message).toMatch(/operation|approval/);
        },
      ),
      { numRuns: runs(300) },
    );
  });

  it('refuses an unknown path and an undecodable parameter with JSON naming them (regressions)', async () => {
    const unknown = await request(server)
      .get(`${API}/entities///../health`)
      .set('Authorization', as(USERS.owner));
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toMatch(
      /pg-backup has no route GET \/entities\/\/\/..\/health/,
    );
    for (const url of [
      `${QAWAVE}/backups?limit[toString]=1`,
      `${QAWAVE}/jobs/${FAILED_JOB}/logs?tailLines[toString]=1`,
      `${QAWAVE}/drills?limit[toString]=x`,
    ]) {
      const nested = await request(server)
        .get(url)
        .set('Authorization', as(USERS.owner));
      expect({ url, status: nested.status }).toEqual({ url, status: 400 });
      expect(nested.body.error.message).toMatch(
        /^(limit|tailLines): expected a plain value, as in \?(limit|tailLines)=20; a nested parameter such as (limit|tailLines)\[key\]=value is not accepted$/,
      );
    }
    const undecodable = await request(server)
      .get(`${API}/operations/%`)
      .set('Authorization', as(USERS.owner));
    expect(undecodable.status).toBe(400);
    expect(undecodable.body.error.message).toMatch(
      /path parameter \(kind, namespace, name, job or id\) is not valid percent-encoding: Failed to decode param '%'/,
    );
  });

  it('never calls the newest backup a recovery point when its manifest lies about its size', async () => {
    const client = new S3Client(world.s3.clientConfig());
    const newest = world.keys[0];
    await client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: `${newest}.manifest.json`,
        Body: JSON.stringify({
          formatVersion: 1,
          key: newest,
          sha256: '0'.repeat(64),
          sizeBytes: 1,
        }),
      }),
    );
    client.destroy();
    await new Promise(r => setTimeout(r, 1100));
    const res = await request(server)
      .get(`${QAWAVE}/health`)
      .set('Authorization', as(USERS.owner));
    expect(res.status).toBe(200);
    expect(res.body.health.status).not.toBe('healthy');
    expect(res.body.health.recoveryPoint.key).toBe(world.keys[1]);
    expect(
      res.body.health.findings.find(
        (f: { code: string }) => f.code === 'backup-incomplete',
      ),
    ).toMatchObject({
      subject: newest,
      message: expect.stringMatching(
        /sizeBytes 1 differs from the object's 2000 bytes/,
      ),
    });
  });
});
