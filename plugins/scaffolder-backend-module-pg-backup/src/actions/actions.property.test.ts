// Each property checks the outcome its generated case calls for, so expectations are conditional.
/* eslint-disable jest/no-conditional-expect */
import { TemplateAction } from '@backstage/plugin-scaffolder-node';
import { JsonObject } from '@backstage/types';
import fc from 'fast-check';
import { validate } from 'jsonschema';
import { PgBackupContractServer } from '../__testUtils__/PgBackupContractServer';
import { allActions } from '../__testUtils__/allActions';
import { createMockActionContext } from '../__testUtils__/mockActionContext';
import { parseDatabaseRef, pathSegment } from '../PgBackupClient';

jest.setTimeout(120_000);

// PG_BACKUP_SOAK=1 runs ten times as many cases; a failure prints the seed to replay it.
const runs = (n: number) => (process.env.PG_BACKUP_SOAK === '1' ? n * 10 : n);

const PIECES = [
  '../',
  '..',
  '.',
  '%2e%2e%2f',
  '/',
  ';',
  '|',
  '&',
  '$(id)',
  '`id`',
  "'",
  '"',
  '<',
  '>',
  '\n',
  '\u0000',
  '\u202e',
  '😀',
  ' ',
  ':',
  'qawave',
  'resource:default/qawave-postgresql',
  'postgresql/daily/qawave_20261124_020000.dump',
];

const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc
    .array(fc.constantFrom(...PIECES), { maxLength: 6 })
    .map(parts => parts.join('')),
  fc.constantFrom('', ' ', '.', '..', 'x'.repeat(5000)),
);

const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, 0, -1, true, 1.5),
  fc.array(hostileString, { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 4 }), hostileString, { maxKeys: 2 }),
);

type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
};

/** Values shaped by the action's JSON Schema, with hostile text, plus values of the wrong type. */
function valueFor(schema: JsonSchema): fc.Arbitrary<unknown> {
  let shaped: fc.Arbitrary<unknown> = hostileString;
  if (schema.enum)
    shaped = fc.oneof(fc.constantFrom(...schema.enum), hostileString);
  else if (schema.type === 'object' && schema.properties)
    shaped = objectFor(schema);
  else if (schema.type === 'array' && schema.items)
    shaped = fc.array(valueFor(schema.items), { maxLength: 3 });
  else if (schema.type === 'boolean') shaped = fc.boolean();
  else if (schema.type === 'number' || schema.type === 'integer')
    shaped = fc.integer();
  return fc.oneof(
    { weight: 5, arbitrary: shaped },
    { weight: 1, arbitrary: oddValue },
  );
}

function objectFor(schema: JsonSchema): fc.Arbitrary<Record<string, unknown>> {
  const fields = Object.fromEntries(
    Object.entries(schema.properties ?? {}).map(([name, field]) => [
      name,
      // Mostly the stand-in's database, so the other fields are what gets tested.
      name === 'entityRef'
        ? fc.oneof(
            {
              weight: 3,
              arbitrary: fc.constant('resource:default/qawave-postgresql'),
            },
            { weight: 2, arbitrary: valueFor(field) },
          )
        : valueFor(field),
    ]),
  );
  return fc.record(fields, { requiredKeys: [] });
}

const actions = [...allActions().values()];
/** Errors that mean the action crashed rather than refused. */
const CRASHES = ['TypeError', 'RangeError', 'ReferenceError', 'SyntaxError'];

describe('pg-backup actions with hostile template parameters', () => {
  let server: PgBackupContractServer;
  let live: Map<string, TemplateAction<any, any>>;
  const outcomes: Record<string, number> = {};
  const examples: Record<string, string> = {};

  beforeAll(async () => {
    server = await PgBackupContractServer.start();
    live = allActions(server);
  });
  afterAll(async () => {
    // eslint-disable-next-line no-console
    console.log(
      `action fuzz outcomes: ${JSON.stringify(
        outcomes,
      )}\nfirst message of each refusal: ${JSON.stringify(examples, null, 1)}`,
    );
    await server?.stop();
  });

  it('has the seven actions', () => {
    expect(actions.map(a => a.id).sort()).toEqual([
      'pg-backup:approval:request',
      'pg-backup:approval:wait',
      'pg-backup:backup:create',
      'pg-backup:drill:run',
      'pg-backup:recovery:emergency',
      'pg-backup:restore:run',
      'pg-backup:verify:run',
    ]);
  });

  it.each(actions.map(a => [a.id, a] as const))(
    '%s: the scaffolder refuses ill-typed input naming the field; typed input is run (dry) or refused with a clear error, never a crash',
    async (id, schemaOnly) => {
      const schema = schemaOnly.schema!.input as JsonSchema;
      // Approval requests and waits change nothing lasting: they also run for real.
      const realRuns = [
        'pg-backup:approval:request',
        'pg-backup:approval:wait',
      ].includes(id);
      await fc.assert(
        fc.asyncProperty(
          objectFor(schema),
          fc.boolean(),
          async (input, dryRun) => {
            const result = validate(input, schema as any);
            if (!result.valid) {
              // As the scaffolder does before running a step: each error names its field.
              for (const error of result.errors)
                expect(error.property).toMatch(/^instance(\.\w+|\[\d+\])*$/);
              expect(result.errors.map(e => e.stack).join(' ')).toMatch(
                new RegExp(
                  Object.keys(schema.properties ?? {}).join('|') || 'instance',
                ),
              );
              outcomes[`${id} schema-refused`] =
                (outcomes[`${id} schema-refused`] ?? 0) + 1;
              return;
            }
            const run = createMockActionContext({
              input: input as JsonObject,
              isDryRun: !realRuns || dryRun,
              signal: AbortSignal.timeout(10_000),
            });
            let outcome = 'ok';
            try {
              await live.get(id)!.handler(run.ctx);
            } catch (error) {
              const e = error as Error;
              outcome = e.name;
              examples[`${id} ${e.name}`] ??= e.message.slice(0, 200);
              expect({ input, name: e.name, message: e.message }).toEqual({
                input,
                name: expect.not.stringMatching(
                  new RegExp(`^(${CRASHES.join('|')})$`),
                ),
                message: expect.stringMatching(/\w{3,}.*\w{3,}/s),
              });
              expect(e.message).not.toMatch(/\bundefined\b|\[object Object\]/);
            }
            outcomes[`${id} ${outcome}`] =
              (outcomes[`${id} ${outcome}`] ?? 0) + 1;
          },
        ),
        { numRuns: runs(250) },
      );
    },
  );
});

describe('entity refs and path segments from template parameters', () => {
  it('never lets a . or .. part move a request to another path (regression)', () => {
    for (const ref of [
      'resource:default/..',
      'resource:../x',
      '..:default/x',
      '.',
    ]) {
      expect(() => parseDatabaseRef(ref)).toThrow(/is not an entity reference/);
    }
    expect(() => pathSegment('..')).toThrow(/would change the request's path/);
  });

  it('refuses an approval id that is no path segment at once, without retrying it as an outage (regression)', async () => {
    const server = await PgBackupContractServer.start();
    try {
      const run = createMockActionContext({ input: { approvalId: '..' } });
      await expect(
        allActions(server).get('pg-backup:approval:wait')!.handler(run.ctx),
      ).rejects.toThrow(
        /^"\.\." cannot be an entity name, job name or id: it would change the request's path$/,
      );
      expect(run.text()).not.toMatch(/retrying/);
    } finally {
      await server.stop();
    }
  });

  it('keeps every other value inside its path segment', () => {
    fc.assert(
      fc.property(hostileString, value => {
        let segment;
        try {
          segment = pathSegment(value);
        } catch {
          expect(['.', '..']).toContain(value);
          return;
        }
        expect(new URL(`http://h/a/${segment}/b`).pathname).toBe(
          `/a/${segment}/b`,
        );
      }),
      { numRuns: runs(3000) },
    );
  });
});
