// Each property checks the outcome its generated case calls for, so expectations are conditional.
/* eslint-disable jest/no-conditional-expect */
import { InputError } from '@backstage/errors';
import { stringifyEntityRef } from '@backstage/catalog-model';
import fc from 'fast-check';
import { z } from 'zod';
import { hostileString, oddValue, runs } from '../__testUtils__/hostileValues';
import { EntityTargets } from '../catalog/EntityTargets';
import { pageLimit, parse } from './parseRequest';

const REF_PART = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;

describe('EntityTargets.parseRef with hostile path parts', () => {
  it('accepts only plain ref parts and refuses the rest with an InputError naming the part', () => {
    const part = fc.oneof(
      hostileString(40),
      fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,30}$/),
      fc.constantFrom(
        '..',
        '.',
        '...',
        'a..b',
        'a'.repeat(253),
        'a'.repeat(254),
      ),
    );
    fc.assert(
      fc.property(part, part, part, (kind, namespace, name) => {
        let ref;
        try {
          ref = EntityTargets.parseRef(kind, namespace, name);
        } catch (error) {
          expect(error).toBeInstanceOf(InputError);
          const message = (error as Error).message;
          expect(message).toMatch(/^invalid entity (kind|namespace|name) "/s);
          expect(message).toMatch(/use letters, digits, '\.', '_' or '-'/);
          expect(message.length).toBeLessThan(250);
          return;
        }
        for (const value of [kind, namespace, name])
          expect(value).toMatch(REF_PART);
        // A ref part can never walk up a path or carry URL or shell syntax.
        for (const value of [ref.kind, ref.namespace, ref.name])
          expect(value).not.toMatch(/[/\\?#%;|&$`'"<>\s:]|^\.\.?$/);
        expect(stringifyEntityRef(ref).split(/[:/]/)).toHaveLength(3);
        expect(ref.name).toBe(name);
      }),
      { numRuns: runs(5000) },
    );
  });
});

describe('parse with hostile queries and bodies', () => {
  const schema = z
    .object({
      limit: pageLimit,
      cursor: z
        .string()
        .max(1024, 'cursor is longer than 1024 characters')
        .optional(),
    })
    .strict();

  it('returns valid values or throws an InputError naming each bad field', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          oddValue,
          fc.record(
            {
              limit: fc.oneof(
                oddValue,
                fc.integer({ min: -5, max: 200 }).map(String),
              ),
              cursor: oddValue,
              other: oddValue,
            },
            { requiredKeys: [] },
          ),
        ),
        fc.constantFrom('query', 'body') as fc.Arbitrary<'query' | 'body'>,
        (value, what) => {
          let parsed;
          try {
            parsed = parse(schema, value, what);
          } catch (error) {
            expect(error).toBeInstanceOf(InputError);
            const message = (error as Error).message;
            for (const issue of message.split('; '))
              expect(issue).toMatch(new RegExp(`^(limit|cursor|${what})?:? ?`));
            expect(message).toMatch(/limit|cursor|query|body|Unrecognized key/);
            return;
          }
          expect(Number.isInteger(parsed.limit)).toBe(true);
          expect(parsed.limit).toBeGreaterThanOrEqual(1);
          expect(parsed.limit).toBeLessThanOrEqual(100);
          if (parsed.cursor !== undefined)
            expect(parsed.cursor.length).toBeLessThanOrEqual(1024);
        },
      ),
      { numRuns: runs(5000) },
    );
  });
});
