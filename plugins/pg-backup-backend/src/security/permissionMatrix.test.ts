import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { PG_BACKUP_ROLE_PERMISSIONS } from '../permissions';
import {
  ALL_PERMISSIONS,
  DOCUMENTED_PERMISSIONS,
  MATRIX_ROUTES,
  MatrixRoute,
  ROLE_HEADINGS,
  expectedStatus,
  readMarkdownTable,
  routeLabel,
} from '../__testUtils__/securityMatrix';
import {
  DB,
  ROLES,
  ROLE_USERS,
  Role,
  SEEDED_JOB,
  SecurityWorld,
} from '../__testUtils__/securityWorld';

jest.setTimeout(180_000);

const API = '/api/pg-backup';
const ENTITY = `${API}/entities/${DB}`;
const LIVE_RESTORE = {
  kind: 'restore',
  target: { kind: 'live', database: 'qawave' },
  reason: 'permission matrix',
};

describe('permission matrix: every route × anonymous, guest, other team, owner, approver, admin', () => {
  let security: SecurityWorld;
  /** A verify operation the admin started and cancelled: cancelling it again is a 409 once allowed. */
  let operationId: string;
  /** An approval anybody may read. */
  let approvalId: string;

  beforeAll(async () => {
    security = await SecurityWorld.start();
    const started = await security.call(
      'admin',
      'POST',
      `${ENTITY}/operations`,
      {
        kind: 'verify',
      },
    );
    if (started.status !== 202)
      throw new Error(`verify not started: ${started.status} ${started.text}`);
    operationId = started.body.id;
    const cancelled = await security.call(
      'admin',
      'POST',
      `${API}/operations/${operationId}/cancel`,
    );
    // 409 when the verify Job already failed (no database in this world): either way it has ended.
    if (![202, 409].includes(cancelled.status))
      throw new Error(`cancel: ${cancelled.status} ${cancelled.text}`);
    const approval = await security.call(
      'owner',
      'POST',
      `${ENTITY}/approvals`,
      LIVE_RESTORE,
    );
    if (approval.status !== 201)
      throw new Error(`approval: ${approval.status} ${approval.text}`);
    approvalId = approval.body.id;
  });

  afterAll(async () => {
    await security?.stop();
  });

  /** Waits until the previous role's backup Job ended (a second one while it runs is a 409). */
  async function noBackupRunning() {
    const until = Date.now() + 30_000;
    for (;;) {
      const jobs = await security.call('admin', 'GET', `${ENTITY}/jobs`);
      const items: Array<{ state: string }> | undefined = jobs.body.jobs.value;
      if (items && !items.some(j => j.state === 'running')) return;
      if (Date.now() > until) throw new Error('a backup Job still runs');
      await new Promise(r => setTimeout(r, 200));
    }
  }

  /** The request a route's matrix case makes as `role` (fixtures made first as other users). */
  async function requestFor(route: MatrixRoute, role: Role) {
    const [method, template] = route.route.split(' ');
    let url = `${API}${template}`
      .replace('/entities/{kind}/{namespace}/{name}', `/entities/${DB}`)
      .replace('{job}', SEEDED_JOB)
      .replace('/operations/{id}', `/operations/${operationId}`)
      .replace('/approvals/{id}', `/approvals/${approvalId}`);
    let body: unknown;
    if (route.route.endsWith('/backups') && method === 'POST')
      await noBackupRunning();
    if (route.route.endsWith('/operations') && method === 'POST')
      body = {
        kind: route.variant?.startsWith('restore') ? 'restore' : 'drill',
        dryRun: true,
      };
    if (route.route.endsWith('/approvals') && method === 'POST')
      body = LIVE_RESTORE;
    if (route.route.endsWith('/decision')) {
      // A fresh request per decider, by somebody else: nobody may approve their own.
      const requester = role === 'owner' ? 'admin' : 'owner';
      const fresh = await security.call(
        requester,
        'POST',
        `${ENTITY}/approvals`,
        LIVE_RESTORE,
      );
      expect(fresh.status).toBe(201);
      url = `${API}/approvals/${fresh.body.id}/decision`;
      body = { decision: 'approve', comment: `by ${role}` };
    }
    return { method, url, body };
  }

  const cases = MATRIX_ROUTES.flatMap(route =>
    ROLES.map(role => [routeLabel(route), role, route] as const),
  );

  it.each(cases)('%s as %s', async (_label, role, route) => {
    const { method, url, body } = await requestFor(route, role);
    const res = await security.call(role, method, url, body);
    const expected = expectedStatus(route, role);
    expect({ status: res.status, body: res.body }).toMatchObject({
      status: expected,
    });
    // A refusal names the permission; no answer shows a stack trace.
    expect(
      expected !== 403 || res.body.error.message.includes(route.permission),
    ).toBe(true);
    expect(res.text).not.toMatch(/\n\s+at /);
  });

  it('covers every route the OpenAPI schema documents', () => {
    const spec = parse(
      fs.readFileSync(path.join(__dirname, '../schema/openapi.yaml'), 'utf8'),
    );
    const documented = Object.entries(spec.paths as Record<string, object>)
      .flatMap(([route, item]) =>
        Object.keys(item)
          .filter(k => ['get', 'post', 'put', 'patch', 'delete'].includes(k))
          .map(method => `${method.toUpperCase()} ${route}`),
      )
      .sort();
    const covered = [...new Set(MATRIX_ROUTES.map(r => r.route))].sort();
    expect(covered).toEqual(documented);
  });

  it('the approvals inbox lists pending requests only to those who may approve them', async () => {
    const inbox = async (role: Role) =>
      (await security.call(role, 'GET', `${API}/approvals`)).body.items.map(
        (a: { id: string }) => a.id,
      );
    expect(await inbox('approver')).toContain(approvalId);
    expect(await inbox('admin')).toContain(approvalId);
    expect(await inbox('guest')).toEqual([]);
    expect(await inbox('other-team')).toEqual([]);
    // The owner requested it and may not approve their own request.
    expect(await inbox('owner')).not.toContain(approvalId);
    const own = await security.call(
      'owner',
      'POST',
      `${API}/approvals/${approvalId}/decision`,
      { decision: 'approve' },
    );
    expect(own.status).toBe(403);
    expect(own.body.error.message).toMatch(/can never approve it/);
  });

  it('the owner is the owner of their team’s database only', async () => {
    const other = 'resource/default/orders-postgresql';
    const refused = await security.call(
      'owner',
      'POST',
      `${API}/entities/${other}/backups`,
    );
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain('pg-backup.backup.create');
    const theirs = await security.call(
      'other-team',
      'GET',
      `${API}/entities/${other}/jobs/${SEEDED_JOB}/logs`,
    );
    // Bob's team owns it, so pg-backup allows him; the portal's token may not read that
    // namespace, and the cluster's refusal (not a permission one) comes back as a 503.
    expect({ status: theirs.status, body: theirs.body }).toMatchObject({
      status: 503,
      body: { error: { message: expect.stringContaining('forbidden') } },
    });
    expect(theirs.body.error.message).not.toContain('not allowed to');
  });

  it('the policy grants exactly the documented permissions', () => {
    expect(PG_BACKUP_ROLE_PERMISSIONS).toEqual(DOCUMENTED_PERMISSIONS);
  });

  it('the backend README’s route table is this matrix', () => {
    const readme = fs.readFileSync(
      path.join(__dirname, '../../README.md'),
      'utf8',
    );
    const expected = [
      ['Route', 'Permission', ...ROLES.map(r => ROLE_HEADINGS[r])],
      ...MATRIX_ROUTES.map(route => [
        routeLabel(route),
        route.permission ? `\`${route.permission}\`` : '—',
        ...ROLES.map(role => String(expectedStatus(route, role))),
      ]),
    ];
    expect(readMarkdownTable(readme, 'permission-matrix')).toEqual(expected);
  });

  it('the root README’s role table is the documented decisions', () => {
    const readme = fs.readFileSync(
      path.join(__dirname, '../../../../README.md'),
      'utf8',
    );
    const signedIn = ROLES.filter(r => r !== 'anonymous') as Exclude<
      Role,
      'anonymous'
    >[];
    const expected = [
      ['Permission', ...signedIn.map(r => ROLE_HEADINGS[r])],
      ...ALL_PERMISSIONS.map(permission => [
        `\`${permission}\``,
        ...signedIn.map(role =>
          DOCUMENTED_PERMISSIONS[role].includes(permission) ? 'yes' : 'no',
        ),
      ]),
    ];
    expect(readMarkdownTable(readme, 'pg-backup-roles')).toEqual(expected);
  });

  it('signed every role in with the groups the catalog gives them', () => {
    expect(Object.keys(ROLE_USERS).sort()).toEqual(
      ROLES.filter(r => r !== 'anonymous').sort(),
    );
  });

  it('no response carried a secret value', () => {
    expect(security.responses.length).toBeGreaterThan(MATRIX_ROUTES.length * 6);
    expect(security.leaks()).toEqual([]);
  });
});
