/*
 * The security suites' backend: the real pg-backup plugin with the real catalog, permission
 * backend, auth backend (guest sign-in, one user at a time) and the pg-backup permission policy,
 * over a TestWorld whose Kubernetes API and S3 are reached through recording proxies.
 */
import fs from 'node:fs';
import path from 'node:path';
import { authServiceFactory } from '@backstage/backend-defaults/auth';
import { httpAuthServiceFactory } from '@backstage/backend-defaults/httpAuth';
import { permissionsServiceFactory } from '@backstage/backend-defaults/permissions';
import { userInfoServiceFactory } from '@backstage/backend-defaults/userInfo';
import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { startTestBackend } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import authPlugin from '@backstage/plugin-auth-backend';
import guestProvider from '@backstage/plugin-auth-backend-module-guest-provider';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import permissionPlugin from '@backstage/plugin-permission-backend';
import { JsonObject } from '@backstage/types';
import { TokenGrant } from '@internal/sandbox';
import { portalPolicyModule } from './portalPolicy';
import { pgBackupPlugin } from '../plugin';
import { RecordingProxy } from './RecordingProxy';
import { leakedSecrets, registerTestSecrets } from './testSecrets';
import {
  BUCKET,
  CREDENTIALS_SECRET_VALUE,
  PREFIX,
  TestWorld,
  recordingAuditor,
  recordingNotifications,
} from './testWorld';

/** The roles of the permission matrix. */
export const ROLES = [
  'anonymous',
  'guest',
  'other-team',
  'owner',
  'approver',
  'admin',
] as const;
/** One role of {@link ROLES}. */
export type Role = (typeof ROLES)[number];
/** A role that signs in. */
export type SignedInRole = Exclude<Role, 'anonymous'>;

/** Who plays each signed-in role, and the groups the catalog makes them members of. */
export const ROLE_USERS: Record<
  SignedInRole,
  { user: string; groups: string[] }
> = {
  guest: { user: 'user:default/newcomer', groups: [] },
  'other-team': { user: 'user:default/bob', groups: ['team-orders'] },
  owner: { user: 'user:default/alice', groups: ['team-qawave'] },
  approver: { user: 'user:default/dave', groups: ['dba-team'] },
  admin: { user: 'user:default/erin', groups: ['platform-team'] },
};

/** The annotated database every matrix route acts on, owned by group:default/team-qawave. */
export const DB = 'resource/default/qawave-postgresql';
/** The seeded failed backup Job of {@link DB}'s CronJob. */
export const SEEDED_JOB = 'postgresql-backup-29000000';

const annotations = {
  'pg-backup.io/namespace': 'qawave',
  'pg-backup.io/backup-cronjob': 'postgresql-backup',
  'pg-backup.io/database': 'qawave',
  'pg-backup.io/bucket': BUCKET,
  'pg-backup.io/prefix': PREFIX,
  'pg-backup.io/rpo': '26h',
  'pg-backup.io/retention': '30d',
};

function catalogYaml(): string {
  const resource = (
    name: string,
    owner: string,
    extra: Record<string, string> | undefined,
  ) => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: { name, ...(extra && { annotations: extra }) },
    spec: { type: 'database', owner, system: 'qawave' },
  });
  const groups = ['team-qawave', 'team-orders', 'dba-team', 'platform-team'];
  return [
    resource('qawave-postgresql', 'group:default/team-qawave', annotations),
    // Annotated, but naming a namespace the portal's token may not read.
    resource('orders-postgresql', 'group:default/team-orders', {
      ...annotations,
      'pg-backup.io/namespace': 'orders',
    }),
    // Not annotated: pg-backup must not act on it.
    resource('plain-db', 'group:default/team-qawave', undefined),
    ...groups.map(name => ({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Group',
      metadata: { name },
      spec: { type: 'team', children: [] },
    })),
    ...Object.values(ROLE_USERS).map(({ user, groups: memberOf }) => ({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'User',
      metadata: { name: user.split('/')[1] },
      spec: { memberOf },
    })),
  ]
    .map(d => JSON.stringify(d))
    .join('\n---\n');
}

/** A response as the tests see it. */
export interface CallResult {
  status: number;
  text: string;
  body: any;
}

/** Options of {@link SecurityWorld.start}. */
export interface SecurityWorldOptions {
  /** More service-account tokens the sandbox accepts (see TestWorld.start). */
  tokens?: TokenGrant[];
  /** The service-account token the backend uses; default the world's portal token. */
  backendToken?: string;
  /** Sign in these roles only (default all). */
  roles?: SignedInRole[];
}

/** See the file comment. */
export class SecurityWorld {
  /** Every response body the suite received, to scan for secrets. */
  readonly responses: Array<{ request: string; text: string }> = [];
  /** Secret values no response may contain, by label. */
  readonly secrets: Record<string, string> = {};

  private constructor(
    readonly world: TestWorld,
    readonly kubernetes: RecordingProxy,
    readonly s3: RecordingProxy,
    readonly backend: Awaited<ReturnType<typeof startTestBackend>>,
    readonly auditor: ReturnType<typeof recordingAuditor>,
    private readonly tokens: Partial<Record<SignedInRole, string>>,
  ) {}

  static async start(
    options: SecurityWorldOptions = {},
  ): Promise<SecurityWorld> {
    const world = await TestWorld.start({ tokens: options.tokens });
    try {
      fs.writeFileSync(path.join(world.dir, 'security.yaml'), catalogYaml());
      const tls = {
        key: fs.readFileSync(
          path.join(world.sandbox.rootDir, 'apiserver.key'),
          'utf8',
        ),
        cert: world.sandbox.caCertificate,
      };
      const kubernetes = await RecordingProxy.start({
        target: world.sandbox.url,
        tls,
        targetCa: world.sandbox.caCertificate,
      });
      const s3 = await RecordingProxy.start({ target: world.s3.endpoint });
      const config = world.config() as any;
      const cluster = config.kubernetes.clusterLocatorMethods[0].clusters[0];
      cluster.url = kubernetes.url;
      if (options.backendToken)
        cluster.serviceAccountToken = options.backendToken;
      const integration = config.integrations.awsS3[0];
      integration.endpoint = s3.url;
      integration.host = new URL(s3.url).host;
      const data: JsonObject = {
        ...config,
        catalog: {
          rules: [{ allow: ['Resource', 'User', 'Group', 'Location'] }],
          locations: [
            { type: 'file', target: path.join(world.dir, 'security.yaml') },
          ],
        },
        auth: {
          providers: {
            guest: {
              userEntityRef: ROLE_USERS.guest.user,
              dangerouslyAllowOutsideDevelopment: true,
            },
          },
        },
      };
      // The guest provider reads its userEntityRef at each sign-in: one user at a time.
      const rootConfig = new ConfigReader(data);
      const auditor = recordingAuditor();
      const backend = await startTestBackend({
        features: [
          pgBackupPlugin,
          catalogPlugin,
          permissionPlugin,
          portalPolicyModule,
          authPlugin,
          guestProvider,
          authServiceFactory,
          httpAuthServiceFactory,
          userInfoServiceFactory,
          permissionsServiceFactory,
          createServiceFactory({
            service: coreServices.rootConfig,
            deps: {},
            factory: () => rootConfig,
          }),
          recordingNotifications().factory,
          auditor.factory,
        ],
      });
      const tokens: Partial<Record<SignedInRole, string>> = {};
      const guest = (data.auth as any).providers.guest;
      for (const role of options.roles ??
        (Object.keys(ROLE_USERS) as SignedInRole[])) {
        guest.userEntityRef = ROLE_USERS[role].user;
        tokens[role] = await signIn(backend.server.port(), ROLE_USERS[role]);
      }
      guest.userEntityRef = ROLE_USERS.guest.user;
      const security = new SecurityWorld(
        world,
        kubernetes,
        s3,
        backend,
        auditor,
        tokens,
      );
      Object.assign(security.secrets, {
        'portal-service-account-token': cluster.serviceAccountToken,
        'sandbox-admin-token': world.sandbox.adminToken,
        's3-secret-access-key': world.s3.credentials.secretAccessKey,
        'credentials-secret-value': CREDENTIALS_SECRET_VALUE,
        ...Object.fromEntries(
          Object.entries(tokens).map(([role, token]) => [
            `${role}-backstage-token`,
            token!,
          ]),
        ),
      });
      registerTestSecrets(security.secrets);
      await security.waitForCatalog();
      return security;
    } catch (error) {
      await world.stop();
      throw error;
    }
  }

  /** A request as `role` (anonymous: no Authorization header); the body is recorded for the secret scan. */
  async call(
    role: Role,
    method: string,
    url: string,
    body?: unknown,
  ): Promise<CallResult> {
    const token = role === 'anonymous' ? undefined : this.tokens[role];
    if (role !== 'anonymous' && !token)
      throw new Error(`${role} did not sign in`);
    const response = await fetch(
      `http://localhost:${this.backend.server.port()}${url}`,
      {
        method,
        headers: {
          ...(token && { Authorization: `Bearer ${token}` }),
          ...(body !== undefined && { 'Content-Type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      },
    );
    const text = await response.text();
    this.responses.push({ request: `${role} ${method} ${url}`, text });
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, text, body: parsed };
  }

  /** The requests (by label) whose responses contain a registered secret, as `request: labels`. */
  leaks(): string[] {
    return this.responses.flatMap(({ request, text }) => {
      const found = leakedSecrets(text, this.secrets);
      return found.length ? [`${request}: ${found.join(', ')}`] : [];
    });
  }

  private async waitForCatalog(): Promise<void> {
    const until = Date.now() + 60_000;
    for (;;) {
      const res = await this.call(
        'admin',
        'GET',
        `/api/pg-backup/entities/${DB}/health`,
      );
      if (res.status === 200) return;
      if (Date.now() > until)
        throw new Error(
          `the catalog did not serve ${DB}: ${res.status} ${res.text}`,
        );
      await new Promise(r => setTimeout(r, 200));
    }
  }

  async stop(): Promise<void> {
    await this.backend.stop();
    await this.kubernetes.stop();
    await this.s3.stop();
    await this.world.stop();
  }
}

/**
 * Signs in through the real guest provider until the token's ownership claims include the
 * user's groups (the catalog resolves memberOf asynchronously); returns the Backstage token.
 */
async function signIn(
  port: number,
  who: { user: string; groups: string[] },
): Promise<string> {
  const until = Date.now() + 60_000;
  for (;;) {
    const res = await fetch(`http://localhost:${port}/api/auth/guest/refresh`, {
      headers: { 'X-Requested-With': 'XMLHttpRequest' },
    });
    if (res.status === 200) {
      const body = (await res.json()) as {
        backstageIdentity: {
          token: string;
          identity: { userEntityRef: string; ownershipEntityRefs: string[] };
        };
      };
      const identity = body.backstageIdentity.identity;
      const wanted = who.groups.map(g => `group:default/${g}`);
      if (
        identity.userEntityRef === who.user &&
        wanted.every(g => identity.ownershipEntityRefs.includes(g))
      )
        return body.backstageIdentity.token;
    }
    if (Date.now() > until)
      throw new Error(
        `${who.user} could not sign in with groups ${who.groups.join(', ')}: ${
          res.status
        }`,
      );
    await new Promise(r => setTimeout(r, 200));
  }
}
