import fc from 'fast-check';

/** Cases per property: `PG_BACKUP_SOAK=1` runs ten times as many (a failure prints its seed). */
export const runs = (fast: number): number =>
  process.env.PG_BACKUP_SOAK === '1' ? fast * 10 : fast;

/** Path tricks, URL encodings, shell metacharacters, Kubernetes expansions and Unicode. */
export const HOSTILE_PIECES = [
  '../',
  '..',
  '.',
  '%2e%2e%2f',
  '%2F',
  '%00',
  '/',
  '\\',
  ';',
  '|',
  '&',
  '$(',
  '$(PGPASSWORD)',
  '$(AWS_SECRET_ACCESS_KEY)',
  '$$',
  ')',
  '`id`',
  "'",
  '"',
  '<',
  '>',
  '\n',
  '\r',
  '\t',
  '\u0000',
  '\u202e',
  '\u2028',
  '\ud800',
  '😀',
  '数据',
  ' ',
  ',',
  '?',
  '#',
  '*',
  '{}',
  'a',
  'Z',
  '0',
  '-',
  '_',
];

/** An arbitrary hostile string: random Unicode, concatenated tricks or a very long run. */
export const hostileString = (maxLength = 40): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength }) },
    {
      weight: 4,
      arbitrary: fc
        .array(fc.constantFrom(...HOSTILE_PIECES), { maxLength: 10 })
        .map(parts => parts.join('')),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.constantFrom('a', '../', '数', '$(X)'),
          fc.integer({ min: 100, max: 3000 }),
        )
        .map(([unit, count]) => unit.repeat(count)),
    },
  );

/** Any JSON-ish value, including the odd ones (null, NaN, huge numbers, nested objects). */
export const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString(),
  fc.constantFrom(null, undefined, true, false, NaN, -1, 0, 1e308, -0),
  fc.integer(),
  fc.double(),
  fc.array(fc.oneof(fc.string(), fc.integer()), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), {
    maxKeys: 3,
  }),
);
