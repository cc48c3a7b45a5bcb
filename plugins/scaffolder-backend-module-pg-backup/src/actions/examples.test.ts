import { validate } from 'jsonschema';
import yaml from 'yaml';
import { PgBackupContractServer } from '../__testUtils__/PgBackupContractServer';
import { allActions } from '../__testUtils__/allActions';
import { createMockActionContext } from '../__testUtils__/mockActionContext';

interface ExampleStep {
  id: string;
  action: string;
  name?: string;
  input: Record<string, unknown>;
}

const actions = allActions();
const cases = [...actions.values()].flatMap(action =>
  (action.examples ?? []).map(example => ({
    actionId: action.id,
    description: example.description,
    steps: (yaml.parse(example.example).steps ?? []) as ExampleStep[],
  })),
);

describe('action examples', () => {
  let server: PgBackupContractServer;
  beforeAll(async () => {
    server = await PgBackupContractServer.start();
  });
  afterAll(() => server.stop());

  it('exist for every action, at least two each', () => {
    const counts = [...actions.values()].map(a => [
      a.id,
      a.examples?.length ?? 0,
    ]);
    expect(counts.filter(([, count]) => (count as number) < 2)).toEqual([]);
    expect(counts).toHaveLength(7);
  });

  it.each(cases)(
    '$actionId: $description — uses its action, with inputs its schema accepts',
    async ({ actionId, steps }) => {
      expect(steps.map(s => s.action)).toContain(actionId);
      for (const step of steps) {
        const action = actions.get(step.action);
        expect({ step: step.id, known: action !== undefined }).toEqual({
          step: step.id,
          known: true,
        });
        // As the scaffolder validates a step's rendered input before running the action.
        const result = validate(step.input, action!.schema!.input!);
        expect({ step: step.id, errors: result.errors.map(String) }).toEqual({
          step: step.id,
          errors: [],
        });
      }
    },
  );

  it.each(cases)(
    '$actionId: $description — runs as a dry run against the backend contract',
    async ({ actionId, steps }) => {
      const runnable = allActions(server);
      for (const step of steps.filter(
        s => s.action === actionId && !JSON.stringify(s.input).includes('${{'),
      )) {
        const run = createMockActionContext({
          input: step.input as any,
          isDryRun: true,
        });
        await runnable.get(actionId)!.handler(run.ctx);
        expect(run.outputs.dryRun).toBe(true);
      }
      expect(server.operations.size).toBe(0);
    },
  );

  it('would catch an example with an unknown or wrongly typed input', () => {
    const restore = actions.get('pg-backup:restore:run')!;
    expect(
      validate(
        {
          entityRef: 'resource:default/qawave-postgresql',
          target: { kind: 'elsewhere' },
        },
        restore.schema!.input!,
      ).valid,
    ).toBe(false);
    expect(
      validate(
        { entityRef: 'resource:default/qawave-postgresql', backupkey: 'x' },
        restore.schema!.input!,
      ).valid,
    ).toBe(false);
    expect(validate({}, restore.schema!.input!).valid).toBe(false);
  });
});
