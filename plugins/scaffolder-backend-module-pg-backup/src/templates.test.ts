import fs from 'node:fs';
import path from 'node:path';
import { validate } from 'jsonschema';
import yaml from 'yaml';
import { templateEntityV1beta3Validator } from '@backstage/plugin-scaffolder-common';
import { RUNBOOK_DRILL_CHECKLIST } from './drillChecklist';
import { allActions } from './__testUtils__/allActions';

const ROOT = path.resolve(__dirname, '../../..');
const TEMPLATES_DIR = path.resolve(__dirname, '../templates');

/** The templates, by folder, with the names the frontend links to. */
const TEMPLATES = {
  'restore-database': 'pg-backup-restore',
  'verify-backup': 'pg-backup-verify',
  'emergency-recovery': 'pg-backup-emergency-recovery',
  'recovery-drill': 'pg-backup-drill',
} as const;

type Folder = keyof typeof TEMPLATES;

interface TemplateStep {
  id: string;
  name: string;
  action: string;
  if?: string;
  input: Record<string, unknown>;
}

function load(folder: Folder) {
  return yaml.parse(
    fs.readFileSync(path.join(TEMPLATES_DIR, folder, 'template.yaml'), 'utf8'),
  );
}

/** Every parameter property of a template, including those under `dependencies`. */
function parameterProperties(template: any): Record<string, any> {
  const pages: any[] = template.spec.parameters;
  const found: Record<string, any> = {};
  const collect = (schema: any) => {
    Object.assign(found, schema?.properties ?? {});
    for (const dependency of Object.values<any>(schema?.dependencies ?? {})) {
      for (const branch of dependency.oneOf ?? []) collect(branch);
    }
  };
  pages.forEach(collect);
  return found;
}

/**
 * Renders a step input as the scaffolder would for simple `${{ path }}` values (the only kind
 * the templates use in inputs): undefined values are dropped, as the engine drops them.
 */
function render(value: unknown, context: Record<string, unknown>): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${{')) return value;
    const match = /^\$\{\{\s*([^}]+?)\s*\}\}$/.exec(value);
    if (!match)
      throw new Error(`Inputs use whole-value expressions only: ${value}`);
    const segments = match[1].replace(/\['([^']+)'\]/g, '.$1').split('.');
    if (!segments.every(s => /^[A-Za-z_][\w-]*$/.test(s))) {
      throw new Error(`Unsupported expression in a step input: ${value}`);
    }
    return segments.reduce<any>((at, key) => at?.[key], context);
  }
  if (Array.isArray(value)) return value.map(v => render(v, context));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .map(([k, v]) => [k, render(v, context)] as const)
        .filter(([, v]) => v !== undefined),
    );
  }
  return value;
}

/** Sample forms and the step outputs a real run would produce. */
const SAMPLES: Record<Folder, Array<Record<string, unknown>>> = {
  'restore-database': [
    {
      entity: 'resource:default/qawave-postgresql',
      targetKind: 'new-database',
      reason: 'Inspect yesterday’s orders',
    },
    {
      entity: 'resource:default/qawave-postgresql',
      backupKey: 'postgresql/daily/qawave_20261124_020000.dump',
      targetKind: 'other-namespace',
      targetNamespace: 'qawave-dr',
      targetCluster: 'dr',
      targetDatabase: 'qawave',
      reason: 'Recovery to the DR cluster',
    },
    {
      entity: 'resource:default/qawave-postgresql',
      targetKind: 'live',
      confirmation: 'qawave',
      overwriteAcknowledged: true,
      reason: 'A faulty migration dropped the invoices table',
    },
  ],
  'verify-backup': [{ entity: 'resource:default/qawave-postgresql' }],
  'emergency-recovery': [
    {
      entity: 'resource:default/qawave-postgresql',
      confirmation: 'qawave',
      downtimeAcknowledged: true,
      reason: 'Data corruption after the 14:00 deployment',
    },
  ],
  'recovery-drill': [
    {
      entity: 'resource:default/qawave-postgresql',
      preChecklist: ['Stakeholders notified'],
      duringChecklist: [],
      notes: 'Raise the verify Job memory.',
      reason: 'Quarterly recovery drill',
    },
  ],
};
const STEP_OUTPUTS = {
  'request-approval': { output: { approvalId: 'approval-1' } },
  'wait-for-approval': { output: { approvalId: 'approval-1' } },
};

describe('example templates', () => {
  const actions = allActions();

  it.each(Object.entries(TEMPLATES))(
    '%s is a valid Template named %s',
    async (folder, name) => {
      const template = load(folder as Folder);
      expect(template.apiVersion).toBe('scaffolder.backstage.io/v1beta3');
      expect(template.kind).toBe('Template');
      expect(template.metadata.name).toBe(name);
      expect(await templateEntityV1beta3Validator.check(template)).toBe(true);
      expect(template.spec.owner).toBe('group:default/platform-team');
    },
  );

  it.each(Object.keys(TEMPLATES))(
    '%s picks annotated databases and their backups with the form fields the frontend links to',
    folder => {
      const properties = parameterProperties(load(folder as Folder));
      expect(properties.entity).toMatchObject({
        type: 'string',
        'ui:field': 'EntityPicker',
        'ui:options': {
          allowArbitraryValues: false,
          catalogFilter: [
            {
              kind: 'Resource',
              'spec.type': 'database',
              'metadata.annotations.pg-backup.io/backup-cronjob': {
                exists: true,
              },
            },
          ],
        },
      });
      expect(properties.backupKey).toMatchObject({
        type: 'string',
        'ui:field': 'BackupPicker',
        'ui:options': { entityField: 'entity' },
      });
    },
  );

  it.each(Object.keys(TEMPLATES))(
    '%s: every step uses a pg-backup action with inputs its schema accepts',
    folder => {
      const template = load(folder as Folder);
      const properties = parameterProperties(template);
      const steps: TemplateStep[] = template.spec.steps;
      for (const parameters of SAMPLES[folder as Folder]) {
        // Samples use only fields the form has.
        expect(Object.keys(parameters).filter(k => !(k in properties))).toEqual(
          [],
        );
        for (const step of steps) {
          const action = actions.get(step.action);
          expect({
            step: step.id,
            action: step.action,
            known: !!action,
          }).toEqual({
            step: step.id,
            action: step.action,
            known: true,
          });
          const input = render(step.input, {
            parameters,
            steps: STEP_OUTPUTS,
          });
          const result = validate(input, action!.schema!.input!);
          expect({ step: step.id, errors: result.errors.map(String) }).toEqual({
            step: step.id,
            errors: [],
          });
        }
      }
    },
  );

  it('asks for approval before a live restore, and only then', () => {
    const steps: TemplateStep[] = load('restore-database').spec.steps;
    expect(steps.map(s => [s.id, s.action, s.if])).toEqual([
      [
        'request-approval',
        'pg-backup:approval:request',
        "${{ parameters.targetKind == 'live' }}",
      ],
      [
        'wait-for-approval',
        'pg-backup:approval:wait',
        "${{ parameters.targetKind == 'live' }}",
      ],
      ['restore', 'pg-backup:restore:run', undefined],
    ]);
    const emergency: TemplateStep[] = load('emergency-recovery').spec.steps;
    expect(emergency.map(s => s.action)).toEqual([
      'pg-backup:approval:request',
      'pg-backup:approval:wait',
      'pg-backup:recovery:emergency',
    ]);
  });

  it("offers the QAWave runbook's drill checklist, phase by phase", () => {
    const properties = parameterProperties(load('recovery-drill'));
    expect(properties.preChecklist.items.enum).toEqual(
      RUNBOOK_DRILL_CHECKLIST.pre,
    );
    expect(properties.duringChecklist.items.enum).toEqual(
      RUNBOOK_DRILL_CHECKLIST.during,
    );
    expect(properties.postChecklist.items.enum).toEqual(
      RUNBOOK_DRILL_CHECKLIST.post,
    );
    expect(properties.notes.title).toBe('Lessons learned');
  });

  it('are listed by the one Location an adopter registers, which the example catalog does', () => {
    const locationFile = path.join(TEMPLATES_DIR, 'templates.yaml');
    const location = yaml.parse(fs.readFileSync(locationFile, 'utf8'));
    expect(location.kind).toBe('Location');
    expect(
      location.spec.targets.map((t: string) => path.resolve(TEMPLATES_DIR, t)),
    ).toEqual(
      Object.keys(TEMPLATES).map(folder =>
        path.join(TEMPLATES_DIR, folder, 'template.yaml'),
      ),
    );
    const config = yaml.parse(
      fs.readFileSync(path.join(ROOT, 'app-config.yaml'), 'utf8'),
    );
    const backendDir = path.join(ROOT, 'packages/backend');
    expect(
      config.catalog.locations.filter(
        (l: { target: string }) =>
          path.resolve(backendDir, l.target) === locationFile,
      ),
    ).toEqual([
      {
        type: 'file',
        target: expect.any(String),
        rules: [{ allow: ['Location', 'Template'] }],
      },
    ]);
    expect(fs.readdirSync(TEMPLATES_DIR).sort()).toEqual(
      [...Object.keys(TEMPLATES), 'templates.yaml'].sort(),
    );
  });
});
