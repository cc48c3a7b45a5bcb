import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import permissionPlugin from '@backstage/plugin-permission-backend';
import { JsonObject } from '@backstage/types';
import { AccessRule, TokenGrant, portalRules } from '@internal/sandbox';
import { parseAllDocuments } from 'yaml';
import { pgBackupPlugin } from '../plugin';
import {
  RecordedRequest,
  RecordingProxy,
} from '../__testUtils__/RecordingProxy';
import { RecoveryWorld } from '../__testUtils__/recoveryWorld';
import { leakedSecrets } from '../__testUtils__/testSecrets';
import {
  USERS,
  recordingNotifications,
  testPolicyModule,
} from '../__testUtils__/testWorld';

jest.setTimeout(300_000);

const RBAC_FILE = path.resolve(
  __dirname,
  '../../../../deploy/kubernetes/postgresql-backup/rbac.yaml',
);
const NAMESPACES = ['shop', 'shop-dr'];

interface RoleRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

function readManifests(): Array<{
  kind: string;
  metadata: { name: string };
  rules?: RoleRule[];
}> {
  return parseAllDocuments(fs.readFileSync(RBAC_FILE, 'utf8')).map(d => {
    if (d.errors.length) throw new Error(`rbac.yaml: ${d.errors[0]}`);
    return d.toJS();
  });
}

/** The Role pg-backup-portal's rules. */
function roleRules(): RoleRule[] {
  const role = readManifests().find(
    m => m.kind === 'Role' && m.metadata.name === 'pg-backup-portal',
  );
  if (!role?.rules) throw new Error('rbac.yaml has no Role pg-backup-portal');
  return role.rules;
}

/** The Role bound in `namespaces`, as the sandbox's token rules. */
function toAccessRules(rules: RoleRule[], namespaces: string[]): AccessRule[] {
  return namespaces.flatMap(namespace =>
    rules.map(r => ({
      namespaces: [namespace],
      apiGroups: r.apiGroups,
      resources: r.resources,
      verbs: r.verbs,
      ...(r.resourceNames && { resourceNames: r.resourceNames }),
    })),
  );
}

const describeRule = (r: RoleRule) =>
  `${r.resources.join(',')} ${r.verbs.join(',')}`;

/** What the backend asked of the cluster, as `resource verb` (from the recorded requests). */
function verbsUsed(requests: RecordedRequest[]): Set<string> {
  const used = new Set<string>();
  for (const r of requests) {
    const m =
      /^\/(?:api\/v1|apis\/[^/]+\/v1)\/namespaces\/[^/]+\/([^/]+)(?:\/([^/]+)(?:\/([^/]+))?)?$/.exec(
        r.path,
      );
    if (!m) continue;
    const [, resource, name, sub] = m;
    const full = sub ? `${resource}/${sub}` : resource;
    const watch = /(^|&)watch=(true|1)/.test(r.query);
    const readVerb = watch ? 'watch' : 'list';
    const verb =
      r.method === 'GET'
        ? (name && 'get') || readVerb
        : (
            {
              POST: 'create',
              PATCH: 'patch',
              PUT: 'update',
              DELETE: 'delete',
            } as Record<string, string>
          )[r.method] ?? r.method;
    used.add(`${full} ${verb}`);
  }
  return used;
}

describe('rbac.yaml: least privilege', () => {
  it('is namespaced, has no wildcard and never deletes', () => {
    const manifests = readManifests();
    expect(manifests.map(m => m.kind)).not.toContain('ClusterRole');
    expect(manifests.map(m => m.kind)).not.toContain('ClusterRoleBinding');
    const rules = roleRules();
    expect(rules.length).toBeGreaterThan(3);
    for (const rule of rules) {
      for (const list of [rule.apiGroups, rule.resources, rule.verbs])
        expect(list).not.toContain('*');
      expect(rule.verbs).not.toContain('delete');
      expect(rule.verbs).not.toContain('deletecollection');
    }
  });

  it('names the Secrets and Deployments it may touch', () => {
    const named = roleRules().filter(rule =>
      rule.resources.some(
        r => r.startsWith('secrets') || r.startsWith('deployments'),
      ),
    );
    expect(named.map(r => r.resources[0]).sort()).toEqual([
      'deployments/scale',
      'secrets',
    ]);
    for (const rule of named)
      expect(rule.resourceNames).toEqual(
        expect.arrayContaining([expect.any(String)]),
      );
  });

  it('is exactly what the sandbox gives the portal (portalRules)', () => {
    expect(
      portalRules([{ namespace: 'qawave', deployments: ['backend'] }]),
    ).toEqual(toAccessRules(roleRules(), ['qawave']));
  });
});

describe('the backend on exactly the rules of rbac.yaml, and with each rule removed', () => {
  const rules = roleRules();
  const token = (label: string) =>
    `pg-backup-rbac-${label}-${crypto.randomBytes(12).toString('hex')}`;
  const variants: Array<{ id: string; removed?: RoleRule; grant: TokenGrant }> =
    [
      {
        id: 'full',
        grant: {
          token: token('full'),
          user: 'system:serviceaccount:shop:pg-backup-portal',
          rules: toAccessRules(rules, NAMESPACES),
        },
      },
      ...rules.map((removed, i) => ({
        id: `no-${i}`,
        removed,
        grant: {
          token: token(`no-${i}`),
          user: 'system:serviceaccount:shop:pg-backup-portal',
          rules: toAccessRules(
            rules.filter(r => r !== removed),
            NAMESPACES,
          ),
        },
      })),
    ];

  let world: RecoveryWorld;
  let proxy: RecordingProxy;
  let backend: Awaited<ReturnType<typeof startTestBackend>>;
  const texts: string[] = [];

  const call = async (
    method: string,
    url: string,
    body?: unknown,
    user = USERS.owner,
  ) => {
    const response = await fetch(
      `http://localhost:${backend.server.port()}${url}`,
      {
        method,
        headers: {
          Authorization: mockCredentials.user.header(user),
          ...(body !== undefined && { 'Content-Type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      },
    );
    const text = await response.text();
    texts.push(text);
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, text, body: json };
  };

  const entity = (id: string) =>
    `/api/pg-backup/entities/resource/default/rbac-${id}`;

  beforeAll(async () => {
    world = await RecoveryWorld.start({ tokens: variants.map(v => v.grant) });
    const tls = {
      key: fs.readFileSync(
        path.join(world.sandbox.rootDir, 'apiserver.key'),
        'utf8',
      ),
      cert: world.sandbox.caCertificate,
    };
    proxy = await RecordingProxy.start({
      target: world.sandbox.url,
      tls,
      targetCa: world.sandbox.caCertificate,
    });
    const config = world.config({ recovery: { pollInterval: '100ms' } }) as any;
    const base = config.kubernetes.clusterLocatorMethods[0].clusters[0];
    config.kubernetes.clusterLocatorMethods[0].clusters = variants.map(v => ({
      ...base,
      name: `rbac-${v.id}`,
      url: proxy.url,
      serviceAccountToken: v.grant.token,
    }));
    // One database entity per variant, each reached with its own token.
    const [shop] = parseAllDocuments(
      fs.readFileSync(path.join(world.dir, 'entities.yaml'), 'utf8'),
    ).map(d => d.toJS());
    const entities = variants.map(v => ({
      ...shop,
      metadata: {
        name: `rbac-${v.id}`,
        annotations: {
          ...shop.metadata.annotations,
          'pg-backup.io/cluster': `rbac-${v.id}`,
          'pg-backup.io/deployments': 'backend',
        },
      },
    }));
    const users = Object.values(USERS).map(ref => ({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'User',
      metadata: { name: ref.split('/')[1] },
      spec: { memberOf: [] },
    }));
    fs.writeFileSync(
      path.join(world.dir, 'rbac-entities.yaml'),
      [...entities, ...users].map(d => JSON.stringify(d)).join('\n---\n'),
    );
    config.catalog.locations = [
      { type: 'file', target: path.join(world.dir, 'rbac-entities.yaml') },
    ];
    backend = await startTestBackend({
      features: [
        pgBackupPlugin,
        catalogPlugin,
        permissionPlugin,
        testPolicyModule,
        mockServices.rootConfig.factory({ data: config as JsonObject }),
        recordingNotifications().factory,
      ],
    });
    const until = Date.now() + 60_000;
    for (;;) {
      const res = await call(
        'GET',
        `${entity(variants[variants.length - 1].id)}/jobs`,
      );
      if (res.status !== 404) break;
      if (Date.now() > until) throw new Error('catalog not ready');
      await new Promise(r => setTimeout(r, 200));
    }
  });

  afterAll(async () => {
    await backend?.stop();
    await proxy?.stop();
    await world?.stop();
  });

  async function waitForOperation(id: string) {
    const until = Date.now() + 90_000;
    for (;;) {
      const res = await call('GET', `/api/pg-backup/operations/${id}`);
      if (['succeeded', 'failed', 'cancelled'].includes(res.body.state))
        return res.body;
      if (Date.now() > until)
        throw new Error(`operation ${id} still ${res.body.state}`);
      await new Promise(r => setTimeout(r, 200));
    }
  }

  async function noBackupRunning(id: string) {
    const until = Date.now() + 60_000;
    for (;;) {
      const { items } = await world
        .admin()
        .batch.listNamespacedJob({ namespace: 'shop' });
      if (!items.some(j => !j.status?.succeeded && !j.status?.failed)) return;
      if (Date.now() > until) throw new Error(`a Job still runs before ${id}`);
      await new Promise(r => setTimeout(r, 200));
    }
  }

  /** An approved emergency recovery of the variant's database; its start answer and end state. */
  async function emergency(id: string) {
    await noBackupRunning(id);
    const request = await call('POST', `${entity(id)}/approvals`, {
      kind: 'emergency',
      reason: 'rbac test',
    });
    expect(request.status).toBe(201);
    const approved = await call(
      'POST',
      `/api/pg-backup/approvals/${request.body.id}/decision`,
      { decision: 'approve' },
      USERS.other,
    );
    expect(approved.status).toBe(200);
    const start = await call('POST', `${entity(id)}/operations`, {
      kind: 'emergency',
      approvalId: request.body.id,
      confirmation: world.database,
    });
    const operation =
      start.status === 202 ? await waitForOperation(start.body.id) : undefined;
    return { start, operation };
  }

  /**
   * Health, back up now, jobs, the new Job's log and a restore into a new database, as the
   * owner; an emergency recovery too when `withEmergency`.
   */
  async function probe(id: string, withEmergency: boolean) {
    await noBackupRunning(id);
    const health = await call('GET', `${entity(id)}/health`);
    const backup = await call('POST', `${entity(id)}/backups`);
    await noBackupRunning(id);
    const jobs = await call('GET', `${entity(id)}/jobs`);
    const job = backup.body?.job ?? jobs.body?.jobs?.value?.[0]?.name;
    const logs = job
      ? await call('GET', `${entity(id)}/jobs/${job}/logs`)
      : { status: 0, text: '', body: undefined };
    const restore = await call('POST', `${entity(id)}/operations`, {
      kind: 'restore',
      target: {
        kind: 'new-database',
        database: `${world.database}_${id.replace('-', '_')}`,
      },
    });
    const operation =
      restore.status === 202
        ? await waitForOperation(restore.body.id)
        : undefined;
    const recovery = withEmergency ? await emergency(id) : undefined;
    return { health, jobs, job, logs, backup, restore, operation, recovery };
  }

  it('works with exactly the Role: health, jobs, logs, back up now, a restore, an emergency recovery', async () => {
    const mark = proxy.mark();
    const result = await probe('full', true);
    expect(result.health.status).toBe(200);
    const unknown = result.health.body.health.findings.filter(
      (f: { severity: string }) => f.severity === 'unknown',
    );
    expect(unknown).toEqual([]);
    expect(result.backup.status).toBe(202);
    expect(result.jobs.status).toBe(200);
    expect(result.jobs.body.jobs.known).toBe(true);
    expect(result.jobs.body.cronJobs.known).toBe(true);
    expect(result.logs.status).toBe(200);
    expect(result.logs.text).toContain('backup:');
    expect(result.restore.status).toBe(202);
    expect(result.operation.state).toBe('succeeded');
    expect(result.recovery!.start.status).toBe(202);
    expect(result.recovery!.operation.state).toBe('succeeded');

    // Every verb the Role grants was needed by one of these, and nothing else was asked for.
    const granted = new Set(
      rules.flatMap(r =>
        r.resources.flatMap(res => r.verbs.map(v => `${res} ${v}`)),
      ),
    );
    const used = verbsUsed(proxy.since(mark));
    expect([...used].filter(u => !granted.has(u))).toEqual([]);
    // Except `jobs patch`: only cancelling a running operation stops its Job (covered by the
    // recovery suites); removing the jobs rule below shows the rule as a whole is needed.
    expect(
      [...granted].filter(g => !used.has(g) && g !== 'jobs patch').sort(),
    ).toEqual([]);
  });

  it.each(rules.map((rule, i) => [describeRule(rule), i] as const))(
    'without "%s" answers cleanly and names the missing permission',
    async (_label, i) => {
      const id = `no-${i}`;
      const removed = rules[i];
      const result = await probe(
        id,
        removed.resources.some(r => r.startsWith('deployments')),
      );
      const answers = [
        result.health,
        result.jobs,
        result.logs,
        result.backup,
        result.restore,
        ...(result.recovery ? [result.recovery.start] : []),
      ];
      for (const answer of answers.filter(a => a.status !== 0)) {
        // JSON errors (or text logs), never a stack trace or an unexplained 500.
        expect(answer.text).not.toMatch(/\n\s+at /);
        expect(answer.status).not.toBe(500);
        expect(
          answer.status < 400 || Boolean(answer.body?.error?.message),
        ).toBe(true);
      }
      // The refusal names the resource and the verb (Kubernetes' own 403 message).
      const names = (text: string) =>
        removed.resources.some(res =>
          removed.verbs.some(
            verb =>
              text.includes(`cannot ${verb} resource \\"${res}\\"`) ||
              text.includes(`cannot ${verb} resource "${res}"`),
          ),
        );
      const everything = [
        ...answers.map(a => a.text),
        JSON.stringify(result.operation ?? {}),
        JSON.stringify(result.recovery?.operation ?? {}),
      ].join('\n');
      expect(names(everything)).toBe(true);
      // Health turns a refused read into an unknown finding naming the resource and verb.
      const healthReads = removed.resources.some(r =>
        ['cronjobs', 'jobs', 'secrets'].includes(r),
      );
      const unknown = result.health.body.health.findings.filter(
        (f: { severity: string; message: string }) =>
          f.severity === 'unknown' && names(f.message),
      );
      expect(unknown.length > 0).toBe(healthReads);
    },
  );

  it('no response carried a token or key', () => {
    const secrets = Object.fromEntries([
      ...variants.map(v => [`token-${v.id}`, v.grant.token]),
      ['admin-token', world.sandbox.adminToken],
      ['s3-secret', world.s3.credentials.secretAccessKey],
    ]);
    expect(texts.flatMap(t => leakedSecrets(t, secrets))).toEqual([]);
  });
});
