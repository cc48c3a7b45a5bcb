/*
 * The documented pg-backup permission decisions, declared once: the permission matrix suite
 * derives every route's expected status per role from it, and checks that the tables in the
 * READMEs (backend: routes × roles; root: permissions × roles) say the same.
 */
import { Role, SignedInRole } from './securityWorld';

/** The pg-backup permissions each signed-in role holds on the database its team owns (owner) or any database. */
export const DOCUMENTED_PERMISSIONS: Record<SignedInRole, string[]> = {
  guest: ['pg-backup.health.read'],
  'other-team': ['pg-backup.health.read'],
  owner: [
    'pg-backup.health.read',
    'pg-backup.logs.read',
    'pg-backup.backup.create',
    'pg-backup.restore.execute',
    'pg-backup.restore.approve',
    'pg-backup.drill.create',
  ],
  approver: [
    'pg-backup.health.read',
    'pg-backup.logs.read',
    'pg-backup.restore.approve',
    'pg-backup.fleet.read',
  ],
  admin: [
    'pg-backup.health.read',
    'pg-backup.logs.read',
    'pg-backup.backup.create',
    'pg-backup.restore.execute',
    'pg-backup.restore.approve',
    'pg-backup.drill.create',
    'pg-backup.fleet.read',
  ],
};

/** Every permission, in the order of the READMEs' tables. */
export const ALL_PERMISSIONS = DOCUMENTED_PERMISSIONS.admin;

/** One route (or one variant of a route that checks another permission). */
export interface MatrixRoute {
  /** As in the README, e.g. `POST /entities/{kind}/{namespace}/{name}/backups`. */
  route: string;
  /** What the variant is, for routes listed more than once. */
  variant?: string;
  /** The permission checked; undefined when the route only filters what it lists. */
  permission?: string;
  /** The status when allowed (409: the matrix cancels an operation that already ended). */
  allowedStatus: number;
}

/** Every route of `src/schema/openapi.yaml`, with the permission it checks. */
export const MATRIX_ROUTES: MatrixRoute[] = [
  {
    route: 'GET /fleet',
    permission: 'pg-backup.fleet.read',
    allowedStatus: 200,
  },
  {
    route: 'GET /entities/{kind}/{namespace}/{name}/health',
    permission: 'pg-backup.health.read',
    allowedStatus: 200,
  },
  {
    route: 'GET /entities/{kind}/{namespace}/{name}/backups',
    permission: 'pg-backup.health.read',
    allowedStatus: 200,
  },
  {
    route: 'POST /entities/{kind}/{namespace}/{name}/backups',
    permission: 'pg-backup.backup.create',
    allowedStatus: 202,
  },
  {
    route: 'GET /entities/{kind}/{namespace}/{name}/jobs',
    permission: 'pg-backup.health.read',
    allowedStatus: 200,
  },
  {
    route: 'GET /entities/{kind}/{namespace}/{name}/jobs/{job}',
    permission: 'pg-backup.health.read',
    allowedStatus: 200,
  },
  {
    route: 'GET /entities/{kind}/{namespace}/{name}/jobs/{job}/logs',
    permission: 'pg-backup.logs.read',
    allowedStatus: 200,
  },
  {
    route: 'GET /entities/{kind}/{namespace}/{name}/storage',
    permission: 'pg-backup.health.read',
    allowedStatus: 200,
  },
  {
    route: 'POST /entities/{kind}/{namespace}/{name}/operations',
    variant: 'restore, emergency',
    permission: 'pg-backup.restore.execute',
    allowedStatus: 200,
  },
  {
    route: 'POST /entities/{kind}/{namespace}/{name}/operations',
    variant: 'verify, drill',
    permission: 'pg-backup.drill.create',
    allowedStatus: 200,
  },
  {
    route: 'GET /entities/{kind}/{namespace}/{name}/operations',
    permission: 'pg-backup.health.read',
    allowedStatus: 200,
  },
  {
    route: 'GET /operations/{id}',
    permission: 'pg-backup.health.read',
    allowedStatus: 200,
  },
  {
    route: 'POST /operations/{id}/cancel',
    variant: 'verify, drill',
    permission: 'pg-backup.drill.create',
    allowedStatus: 409,
  },
  {
    route: 'POST /entities/{kind}/{namespace}/{name}/approvals',
    permission: 'pg-backup.restore.execute',
    allowedStatus: 201,
  },
  {
    route: 'GET /entities/{kind}/{namespace}/{name}/approvals',
    permission: 'pg-backup.health.read',
    allowedStatus: 200,
  },
  { route: 'GET /approvals', allowedStatus: 200 },
  {
    route: 'GET /approvals/{id}',
    permission: 'pg-backup.health.read',
    allowedStatus: 200,
  },
  {
    route: 'POST /approvals/{id}/decision',
    permission: 'pg-backup.restore.approve',
    allowedStatus: 200,
  },
  {
    route: 'GET /entities/{kind}/{namespace}/{name}/drills',
    permission: 'pg-backup.health.read',
    allowedStatus: 200,
  },
];

/** The expected status of a route for a role. */
export function expectedStatus(route: MatrixRoute, role: Role): number {
  if (role === 'anonymous') return 401;
  if (!route.permission) return route.allowedStatus;
  return DOCUMENTED_PERMISSIONS[role].includes(route.permission)
    ? route.allowedStatus
    : 403;
}

/** The README's heading of each role's column. */
export const ROLE_HEADINGS: Record<Role, string> = {
  anonymous: 'anonymous',
  guest: 'guest',
  'other-team': 'other team',
  owner: 'owner',
  approver: 'approver',
  admin: 'admin',
};

/** A route's label in the README, e.g. `POST /operations/{id}/cancel` (verify, drill). */
export const routeLabel = (r: MatrixRoute) =>
  `\`${r.route}\`${r.variant ? ` (${r.variant})` : ''}`;

/** Reads a Markdown table between `<!-- marker:start -->` and `<!-- marker:end -->` as rows of cells. */
export function readMarkdownTable(
  markdown: string,
  marker: string,
): string[][] {
  const start = markdown.indexOf(`<!-- ${marker}:start -->`);
  const end = markdown.indexOf(`<!-- ${marker}:end -->`);
  if (start < 0 || end < start) throw new Error(`no ${marker} table markers`);
  return markdown
    .slice(start, end)
    .split('\n')
    .filter(line => line.startsWith('|') && !/^\|\s*-/.test(line))
    .map(line =>
      line
        .slice(1, -1)
        .split('|')
        .map(cell => cell.trim()),
    );
}
