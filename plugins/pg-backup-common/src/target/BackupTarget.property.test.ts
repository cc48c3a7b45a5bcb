// Each property checks the outcome its generated case calls for, so expectations are conditional.
/* eslint-disable jest/no-conditional-expect */
import { Entity } from '@backstage/catalog-model';
import fc from 'fast-check';
import { PG_BACKUP_ANNOTATIONS as A } from './annotations';
import { describeBackupTargetProblems, readBackupTarget } from './BackupTarget';
import {
  checkBucketName,
  checkClusterName,
  checkDatabaseName,
  checkDnsLabel,
  checkDnsSubdomain,
  checkKeyPrefix,
} from '../names';
import { parseDuration } from '../durations';

// PG_BACKUP_SOAK=1 runs ten times as many cases; a failure prints the seed to replay it.
const runs = (n: number) => (process.env.PG_BACKUP_SOAK === '1' ? n * 10 : n);

const HOSTILE = [
  '../',
  '..',
  '.',
  '%2e%2e%2f',
  '..%2f',
  '/',
  '//',
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
  '\r\n',
  '\u0000',
  '\u202e',
  '\u2028',
  '\u0085',
  '\ud800',
  'é',
  '数据库',
  ' ',
  '\t',
  ',',
  '-',
  '_',
  'a',
  'Z',
  '9',
];

/** Strings built from path tricks, shell metacharacters, Unicode and plain name characters. */
const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc
    .array(fc.constantFrom(...HOSTILE), { maxLength: 12 })
    .map(parts => parts.join('')),
  fc.stringMatching(/^[a-z0-9][-a-z0-9.]{0,20}[a-z0-9]$/),
  fc
    .tuple(
      fc.constantFrom('a', 'ab-', '1.'),
      fc.integer({ min: 50, max: 3000 }),
    )
    .map(([unit, count]) => unit.repeat(count)),
);

const ALL_ANNOTATIONS = Object.values(A);

const VALID = {
  [A.namespace]: 'qawave',
  [A.backupCronJob]: 'postgresql-backup',
  [A.bucket]: 'qawave-backups',
};

function entity(annotations: Record<string, string>, name: string): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: { name, namespace: 'default', annotations },
    spec: { type: 'database', owner: 'platform-team' },
  };
}

/** Any subset of the annotations with hostile (or valid) values, over a valid base or none. */
const annotationSets = fc.record({
  base: fc.boolean(),
  overrides: fc.dictionary(fc.constantFrom(...ALL_ANNOTATIONS), hostileString, {
    maxKeys: 6,
  }),
  name: fc.oneof(hostileString, fc.constant('qawave')),
});

describe('readBackupTarget with hostile annotations', () => {
  it('never throws; every problem names its annotation, stays short and the value is echoed', () => {
    fc.assert(
      fc.property(annotationSets, ({ base, overrides, name }) => {
        const annotations: Record<string, string> = {
          ...(base ? VALID : {}),
          ...overrides,
        };
        const result = readBackupTarget(entity(annotations, name));
        if (result.ok) return;
        expect(result.problems.length).toBeGreaterThan(0);
        for (const problem of result.problems) {
          expect(ALL_ANNOTATIONS).toContain(problem.annotation);
          // The message alone (as rendered in HTTP errors and the fleet) names the annotation.
          expect(problem.message).toContain(problem.annotation);
          expect(problem.message.length).toBeLessThan(700);
          if (problem.value !== undefined)
            expect(problem.value).toBe(annotations[problem.annotation]);
        }
        const described = describeBackupTargetProblems(result.problems);
        for (const problem of result.problems)
          expect(described).toContain(problem.annotation);
      }),
      { numRuns: runs(4000) },
    );
  });

  it('accepts only values that satisfy the documented grammar', () => {
    fc.assert(
      fc.property(annotationSets, ({ base, overrides, name }) => {
        const result = readBackupTarget(
          entity({ ...(base ? VALID : {}), ...overrides }, name),
        );
        if (!result.ok) return;
        const t = result.target;
        expect(checkDnsLabel(t.namespace)).toBeUndefined();
        expect(checkDnsSubdomain(t.backupCronJob, 52)).toBeUndefined();
        if (t.checkpointCronJob !== undefined)
          expect(checkDnsSubdomain(t.checkpointCronJob, 52)).toBeUndefined();
        if (t.cluster !== undefined)
          expect(checkClusterName(t.cluster)).toBeUndefined();
        expect(checkDatabaseName(t.database)).toBeUndefined();
        expect(t.database).toMatch(/^[A-Za-z_][A-Za-z0-9_-]{0,62}$/);
        expect(checkBucketName(t.storage.bucket)).toBeUndefined();
        for (const prefix of [t.storage.prefix, t.storage.checkpointPrefix]) {
          if (prefix === undefined) continue;
          expect(checkKeyPrefix(prefix)).toBeUndefined();
          expect(prefix).toMatch(/^([A-Za-z0-9!_.*'()-]+\/)*$/);
          expect(prefix.split('/')).not.toContain('..');
        }
        for (const deployment of t.deployments)
          expect(checkDnsSubdomain(deployment)).toBeUndefined();
        for (const ms of Object.values(t.objectives)) {
          expect(Number.isSafeInteger(ms)).toBe(true);
          expect(ms).toBeGreaterThan(0);
        }
        // Nothing accepted can carry a shell metacharacter or whitespace into a Job spec.
        const names = [
          t.namespace,
          t.backupCronJob,
          t.checkpointCronJob ?? '',
          t.cluster ?? '',
          t.database,
          t.storage.bucket,
          ...t.deployments,
        ];
        for (const value of names) expect(value).not.toMatch(/[\s;|&$`"<>\\]/);
      }),
      { numRuns: runs(4000) },
    );
  });

  it('accepts every generated valid target and reads it back unchanged', () => {
    const label = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?$/);
    const segment = fc.stringMatching(
      /^[A-Za-z0-9!_*'()-][A-Za-z0-9!_.*'()-]{0,10}$/,
    );
    fc.assert(
      fc.property(
        fc.record({
          namespace: label,
          cronJob: label,
          bucket: fc.stringMatching(/^[a-z0-9][a-z0-9-]{1,30}[a-z0-9]$/),
          database: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_-]{0,30}$/),
          prefix: fc.array(segment, { maxLength: 3 }),
          hours: fc.integer({ min: 1, max: 10_000 }),
        }),
        v => {
          fc.pre(checkBucketName(v.bucket) === undefined);
          fc.pre(!v.prefix.includes('..') && !v.prefix.includes('.'));
          const prefix = v.prefix.map(s => `${s}/`).join('');
          const result = readBackupTarget(
            entity(
              {
                [A.namespace]: v.namespace,
                [A.backupCronJob]: v.cronJob,
                [A.bucket]: v.bucket,
                [A.database]: v.database,
                ...(prefix !== '' && { [A.prefix]: prefix }),
                [A.rpo]: `${v.hours}h`,
              },
              'x',
            ),
          );
          expect(result).toMatchObject({
            ok: true,
            target: {
              namespace: v.namespace,
              backupCronJob: v.cronJob,
              database: v.database,
              storage: { bucket: v.bucket, prefix },
              objectives: { rpoMs: v.hours * 3_600_000 },
            },
          });
        },
      ),
      { numRuns: runs(2000) },
    );
  });
});

describe('parseDuration with hostile text', () => {
  it('returns a positive safe duration or a message saying what is valid', () => {
    const durationLike = fc.oneof(
      hostileString,
      fc
        .tuple(
          fc.constantFrom('', 'P', 'PT', 'p', 'pt', '-', '+'),
          fc.bigInt({ min: 0n, max: 10n ** 30n }),
          fc.constantFrom(
            's',
            'm',
            'h',
            'd',
            'w',
            'S',
            'M',
            'H',
            'D',
            'W',
            'Y',
            '',
          ),
        )
        .map(([lead, n, unit]) => `${lead}${n}${unit}`),
    );
    fc.assert(
      fc.property(durationLike, text => {
        const parsed = parseDuration(text);
        if (typeof parsed === 'string') {
          expect(parsed).toMatch(/duration|calendar/);
          expect(parsed).toMatch(/6h|P30D|days/);
          expect(parsed.length).toBeLessThan(300);
        } else {
          expect(Number.isSafeInteger(parsed.ms)).toBe(true);
          expect(parsed.ms).toBeGreaterThan(0);
        }
      }),
      { numRuns: runs(4000) },
    );
  });
});

describe('readBackupTarget regressions found by the properties', () => {
  it('names the annotation in the message and quotes at most 80 characters of a huge value', () => {
    const result = readBackupTarget(
      entity({ ...VALID, [A.cluster]: 'a'.repeat(5000) }, 'qawave'),
    );
    expect(result.ok ? [] : result.problems.map(p => p.message)).toEqual([
      `pg-backup.io/cluster: cluster "${'a'.repeat(
        80,
      )}…" is not a valid cluster name: use 1-63 letters, digits, '.', '_' or '-', starting and ending with a letter or digit`,
    ]);
  });
});
