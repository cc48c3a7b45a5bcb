import fs from 'fs';
import path from 'path';
import { parseAllDocuments } from 'yaml';
import {
  Entity,
  EntityPolicies,
  DefaultNamespaceEntityPolicy,
  FieldFormatEntityPolicy,
  NoForeignRootFieldsEntityPolicy,
  SchemaValidEntityPolicy,
  componentEntityV1alpha1Validator,
  groupEntityV1alpha1Validator,
  parseEntityRef,
  resourceEntityV1alpha1Validator,
  stringifyEntityRef,
  systemEntityV1alpha1Validator,
  userEntityV1alpha1Validator,
} from '@backstage/catalog-model';
import {
  isPgBackupAvailable,
  readBackupTarget,
} from '@pg-backup/backstage-plugin-pg-backup-common';

const examplesDir = path.resolve(__dirname, '../../../examples');

function loadExamples(): Entity[] {
  return ['entities.yaml', 'org.yaml'].flatMap(file =>
    parseAllDocuments(
      fs.readFileSync(path.join(examplesDir, file), 'utf8'),
    ).map(doc => {
      if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0]}`);
      return doc.toJS() as Entity;
    }),
  );
}

const policy = EntityPolicies.allOf([
  new DefaultNamespaceEntityPolicy(),
  new NoForeignRootFieldsEntityPolicy(),
  new FieldFormatEntityPolicy(),
  new SchemaValidEntityPolicy(),
]);
const validators = [
  componentEntityV1alpha1Validator,
  groupEntityV1alpha1Validator,
  resourceEntityV1alpha1Validator,
  systemEntityV1alpha1Validator,
  userEntityV1alpha1Validator,
];

describe('example catalog', () => {
  const entities = loadExamples();
  const refs = new Set(entities.map(e => stringifyEntityRef(e)));

  it.each(entities.map(e => [stringifyEntityRef(e), e] as const))(
    '%s is a valid entity',
    async (_ref, entity) => {
      const enforced = await policy.enforce(entity);
      expect(enforced).toBeDefined();
      const results = await Promise.all(validators.map(v => v.check(entity)));
      expect(results).toContain(true);
    },
  );

  it('resolves every owner, system, dependency and membership', () => {
    const targets = entities.flatMap(e => {
      const spec = (e.spec ?? {}) as Record<string, unknown>;
      const list = (field: string, kind: string) =>
        ((spec[field] as string[] | undefined) ?? []).map(ref =>
          parseEntityRef(ref, {
            defaultKind: kind,
            defaultNamespace: 'default',
          }),
        );
      return [
        ...list('dependsOn', 'component'),
        ...list('memberOf', 'group'),
        ...(spec.owner
          ? [
              parseEntityRef(spec.owner as string, {
                defaultKind: 'group',
                defaultNamespace: 'default',
              }),
            ]
          : []),
        ...(spec.system
          ? [
              parseEntityRef(spec.system as string, {
                defaultKind: 'system',
                defaultNamespace: 'default',
              }),
            ]
          : []),
      ];
    });
    const missing = targets
      .map(t => stringifyEntityRef(t))
      .filter(ref => !refs.has(ref));
    expect(missing).toEqual([]);
  });

  it('annotates the QAWave database as the QAWave runbook describes', () => {
    const db = entities.find(e => e.metadata.name === 'qawave-postgresql')!;
    expect(db).toMatchObject({
      kind: 'Resource',
      spec: { type: 'database', owner: 'platform-team', system: 'qawave' },
    });
    expect(readBackupTarget(db)).toEqual({
      ok: true,
      target: {
        entityRef: 'resource:default/qawave-postgresql',
        namespace: 'qawave',
        database: 'qawave',
        backupCronJob: 'postgresql-backup',
        checkpointCronJob: 'postgresql-wal-checkpoint',
        storage: {
          bucket: 'qawave-backups',
          prefix: 'postgresql/daily/',
          checkpointPrefix: 'postgresql/checkpoints/',
        },
        objectives: {
          rpoMs: 6 * 3_600_000,
          rtoMs: 4 * 3_600_000,
          retentionMs: 30 * 86_400_000,
          drillIntervalMs: 90 * 86_400_000,
        },
        deployments: ['backend'],
      },
    });
    const backend = entities.find(e => e.metadata.name === 'qawave-backend')!;
    expect(backend.spec?.dependsOn).toEqual(['resource:qawave-postgresql']);
  });

  it('has three valid databases with different objectives', () => {
    const databases = entities.filter(
      e => e.kind === 'Resource' && e.spec?.type === 'database',
    );
    expect(databases.map(d => d.metadata.name)).toEqual([
      'qawave-postgresql',
      'orders-postgresql',
      'analytics-postgresql',
    ]);
    const objectives = databases.map(d => {
      expect(isPgBackupAvailable(d)).toBe(true);
      const result = readBackupTarget(d);
      if (!result.ok)
        throw new Error(result.problems.map(p => p.message).join('; '));
      return JSON.stringify(result.target.objectives);
    });
    expect(new Set(objectives).size).toBe(3);
  });

  it('gives a guest signed in before the catalog has read the org the claims the org gives it', () => {
    const { auth } = parseAllDocuments(
      fs.readFileSync(path.resolve(examplesDir, '../app-config.yaml'), 'utf8'),
    )[0].toJS();
    const { userEntityRef, ownershipEntityRefs } = auth.providers.guest;
    const guest = entities.find(
      e => e.kind === 'User' && stringifyEntityRef(e) === userEntityRef,
    )!;
    expect(guest).toBeDefined();
    const memberships = (guest.spec?.memberOf as string[]).map(group =>
      stringifyEntityRef(parseEntityRef(group, { defaultKind: 'group' })),
    );
    expect([...ownershipEntityRefs].sort()).toEqual(
      [userEntityRef, ...memberships].sort(),
    );
  });
});
