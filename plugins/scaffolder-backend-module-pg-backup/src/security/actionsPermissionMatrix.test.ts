/*
 * Every pg-backup action × {anonymous, guest, other team, owner, approver, admin}, through the
 * real scaffolder and the real pg-backup backend with the pg-backup permission policy, on the
 * backend's recovery world (sandbox cluster, moto S3, local PostgreSQL). Each action calls the
 * backend with the task initiator's credentials, so it is refused or allowed as that person.
 * Operations run as scaffolder dry runs (the backend still checks their permission before it
 * plans); back up now and approval requests run as real tasks.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  BackstageCredentials,
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { mockCredentials } from '@backstage/backend-test-utils';
import { JsonObject } from '@backstage/types';
// eslint-disable-next-line @backstage/no-mixed-plugin-imports -- the test hosts the real backend
import pgBackupPlugin from '@pg-backup/backstage-plugin-pg-backup-backend';
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import { portalPolicyModule } from '../../../pg-backup-backend/src/__testUtils__/portalPolicy';
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import { RecoveryWorld } from '../../../pg-backup-backend/src/__testUtils__/recoveryWorld';
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import { recordingNotifications } from '../../../pg-backup-backend/src/__testUtils__/testWorld';
import { DEFAULT_FOLLOW_TIMING } from '../FollowTiming';
import { startScaffolderTestBackend } from '../__testUtils__/startScaffolderTestBackend';

jest.setTimeout(180_000);

const ROLES = [
  'anonymous',
  'guest',
  'other-team',
  'owner',
  'approver',
  'admin',
] as const;
type Role = (typeof ROLES)[number];

/** Who plays each role; the recovery world's database is owned by user:default/alice. */
const PEOPLE: Record<
  Exclude<Role, 'anonymous'>,
  { user: string; groups: string[] }
> = {
  guest: { user: 'user:default/nobody', groups: [] },
  'other-team': {
    user: 'user:default/bob',
    groups: ['group:default/orders-team'],
  },
  owner: { user: 'user:default/alice', groups: [] },
  approver: { user: 'user:default/dave', groups: ['group:default/dba-team'] },
  admin: { user: 'user:default/erin', groups: ['group:default/platform-team'] },
};

/**
 * Ownership claims as the auth backend's catalog sign-in resolver gives them (the user and the
 * groups it is a member of); the mock identities carry none of their own.
 */
const userInfoWithGroups = createServiceFactory({
  service: coreServices.userInfo,
  deps: {},
  factory: () => ({
    async getUserInfo(credentials: BackstageCredentials) {
      const ref = (credentials.principal as { userEntityRef: string })
        .userEntityRef;
      const person = Object.values(PEOPLE).find(p => p.user === ref);
      return {
        userEntityRef: ref,
        ownershipEntityRefs: [ref, ...(person?.groups ?? [])],
      };
    },
  }),
});

/** One action, how the matrix runs it, and the permission the backend checks for it. */
interface ActionCase {
  action: string;
  permission: string;
  run: 'dry-run' | 'task';
  input: (world: RecoveryWorld, role: Role) => Promise<JsonObject> | JsonObject;
}

/** Which roles the README documents for each permission (see the backend's README). */
const ALLOWED: Record<string, Role[]> = {
  'pg-backup.health.read': [
    'guest',
    'other-team',
    'owner',
    'approver',
    'admin',
  ],
  'pg-backup.backup.create': ['owner', 'admin'],
  'pg-backup.restore.execute': ['owner', 'admin'],
  'pg-backup.drill.create': ['owner', 'admin'],
};

describe('pg-backup actions × roles, with the pg-backup permission policy', () => {
  let world: RecoveryWorld;
  let portal: Awaited<ReturnType<typeof startScaffolderTestBackend>>;
  /** An approval somebody else requested and decided: waiting on it ends at once. */
  let decidedApprovalId: string;

  const cases: ActionCase[] = [
    {
      action: 'pg-backup:backup:create',
      permission: 'pg-backup.backup.create',
      run: 'task',
      input: w => ({ entityRef: w.entityRef }),
    },
    {
      action: 'pg-backup:restore:run',
      permission: 'pg-backup.restore.execute',
      run: 'dry-run',
      input: w => ({ entityRef: w.entityRef, reason: 'matrix' }),
    },
    {
      action: 'pg-backup:recovery:emergency',
      permission: 'pg-backup.restore.execute',
      run: 'dry-run',
      input: w => ({
        entityRef: w.entityRef,
        confirmation: w.database,
        reason: 'matrix',
      }),
    },
    {
      action: 'pg-backup:verify:run',
      permission: 'pg-backup.drill.create',
      run: 'dry-run',
      input: w => ({ entityRef: w.entityRef, reason: 'matrix' }),
    },
    {
      action: 'pg-backup:drill:run',
      permission: 'pg-backup.drill.create',
      run: 'dry-run',
      input: w => ({ entityRef: w.entityRef, reason: 'matrix' }),
    },
    {
      action: 'pg-backup:approval:request',
      permission: 'pg-backup.restore.execute',
      run: 'task',
      input: w => ({
        entityRef: w.entityRef,
        kind: 'restore',
        target: { kind: 'live', database: w.database },
        confirmation: w.database,
        reason: 'matrix',
      }),
    },
    {
      action: 'pg-backup:approval:wait',
      permission: 'pg-backup.health.read',
      run: 'task',
      input: () => ({ approvalId: decidedApprovalId }),
    },
  ];

  const template = (c: ActionCase, input: JsonObject) => ({
    apiVersion: 'scaffolder.backstage.io/v1beta3',
    kind: 'Template',
    metadata: { name: `matrix-${c.action.replace(/:/g, '-')}` },
    spec: {
      type: 'service',
      owner: 'group:default/platform-team',
      parameters: [],
      steps: [{ id: 'act', name: c.action, action: c.action, input }],
    },
  });

  beforeAll(async () => {
    world = await RecoveryWorld.start();
    // Real tasks need their templates in the catalog; the inputs that do not change go in them.
    const fixed = cases.filter(
      c => c.run === 'task' && c.action !== 'pg-backup:approval:wait',
    );
    const templatesFile = path.join(world.dir, 'matrix-templates.yaml');
    fs.writeFileSync(
      templatesFile,
      [
        ...fixed.map(c => template(c, c.input(world, 'owner') as JsonObject)),
        template(cases.find(c => c.action === 'pg-backup:approval:wait')!, {
          approvalId: '${{ parameters.approvalId }}',
        }),
      ]
        .map(t => JSON.stringify(t))
        .join('\n---\n'),
    );
    const config = world.config({ refreshInitialDelay: { hours: 1 } }) as any;
    config.catalog.locations.push({ type: 'file', target: templatesFile });
    portal = await startScaffolderTestBackend({
      pgBackup: [pgBackupPlugin, recordingNotifications().factory],
      policy: portalPolicyModule,
      timing: {
        ...DEFAULT_FOLLOW_TIMING,
        pollIntervalMs: 200,
        approvalPollIntervalMs: 200,
      },
      config: config as JsonObject,
      features: [userInfoWithGroups],
    });
    await portal.templatesReady();
    const until = Date.now() + 60_000;
    for (;;) {
      const res = await portal.call(
        'GET',
        '/api/scaffolder/v2/templates/default/template/matrix-pg-backup-approval-wait/parameter-schema',
        PEOPLE.admin.user,
      );
      const health = await portal.call(
        'GET',
        `/api/pg-backup/entities/resource/default/shop-postgresql/health`,
        PEOPLE.admin.user,
      );
      if (res.status === 200 && health.status === 200) break;
      if (Date.now() > until) throw new Error('catalog not ready');
      await new Promise(r => setTimeout(r, 200));
    }
    const requested = await portal.call(
      'POST',
      '/api/pg-backup/entities/resource/default/shop-postgresql/approvals',
      PEOPLE.admin.user,
      {
        kind: 'restore',
        target: { kind: 'live', database: world.database },
        reason: 'matrix',
      },
    );
    if (requested.status !== 201)
      throw new Error(`approval: ${JSON.stringify(requested.body)}`);
    const decided = await portal.call(
      'POST',
      `/api/pg-backup/approvals/${requested.body.id}/decision`,
      PEOPLE.approver.user,
      { decision: 'approve', comment: 'the matrix only waits on it' },
    );
    if (decided.status !== 200) throw new Error(`decision: ${decided.status}`);
    decidedApprovalId = requested.body.id;
  });

  afterAll(async () => {
    await portal?.backend.stop();
    await world?.stop();
  });

  /** Runs the action as `role`; its outcome and the log lines. */
  async function runAs(c: ActionCase, role: Role) {
    const user = role === 'anonymous' ? undefined : PEOPLE[role].user;
    const input = await c.input(world, role);
    if (c.run === 'dry-run') {
      const res = await fetch(`${portal.baseUrl}/api/scaffolder/v2/dry-run`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Authorization: user
            ? mockCredentials.user.header(user)
            : mockCredentials.none.header(),
        },
        body: JSON.stringify({
          template: template(c, input),
          values: {},
          directoryContents: [],
        }),
      });
      const body = await res.json();
      // A step that fails ends the dry run with the action's error instead of a log.
      const log: string[] = [
        ...(body.log ?? []).map(
          (l: { body: { message: string } }) => l.body.message,
        ),
        ...(body.error?.message ? [body.error.message as string] : []),
      ];
      const failed =
        log.some(l => /failed|error/i.test(l)) || res.status !== 200;
      return { status: res.status, failed, log };
    }
    if (!user) {
      const res = await fetch(`${portal.baseUrl}/api/scaffolder/v2/tasks`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Authorization: mockCredentials.none.header(),
        },
        body: JSON.stringify({
          templateRef: `template:default/${template(c, input).metadata.name}`,
          values: {},
        }),
      });
      return { status: res.status, failed: true, log: [] as string[] };
    }
    const id = await portal.startTask(
      template(c, input).metadata.name,
      c.action === 'pg-backup:approval:wait'
        ? { approvalId: decidedApprovalId }
        : {},
      user,
    );
    const task = await portal.waitForTask(id, user, 90_000);
    return {
      status: 201,
      failed: task.status !== 'completed',
      log: task.log.map(l => l.message),
    };
  }

  it.each(cases.flatMap(c => ROLES.map(role => [c.action, role, c] as const)))(
    '%s as %s',
    async (_action, role, c) => {
      const result = await runAs(c, role);
      const allowed =
        role !== 'anonymous' && ALLOWED[c.permission].includes(role);
      const refusedFor = result.log.some(l =>
        l.includes(`not allowed to ${c.permission}`),
      );
      // Refusals read as messages, never as stack traces.
      expect(result.log.filter(l => /\n\s+at /.test(l))).toEqual([]);
      expect({
        status: role === 'anonymous' ? result.status : 'signed in',
        failed: result.failed,
        refusedFor,
      }).toEqual({
        status: role === 'anonymous' ? 401 : 'signed in',
        failed: !allowed,
        refusedFor: role !== 'anonymous' && !allowed,
      });
    },
  );
});
