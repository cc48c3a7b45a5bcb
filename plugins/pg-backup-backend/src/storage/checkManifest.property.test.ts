// Each property checks the outcome its generated case calls for, so expectations are conditional.
/* eslint-disable jest/no-conditional-expect */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  BackupHealthInput,
  BackupTarget,
  DEFAULT_BACKUP_OBJECTIVES,
  evaluateBackupHealth,
  formatBackupKey,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import { S3Sandbox, seedBucket } from '@internal/sandbox';
import fc from 'fast-check';
import { hostileString, runs } from '../__testUtils__/hostileValues';
import { BackupStorage } from './BackupStorage';
import { MAX_MANIFEST_BYTES, checkManifest } from './checkManifest';

jest.setTimeout(180_000);

const HOUR = 3_600_000;
const BUCKET = 'lying-manifests';
const SIZE = 4096;

/** The manifest the agent writes for a dump of `size` bytes at `key`. */
function honest(key: string, size = SIZE): Record<string, unknown> {
  return {
    formatVersion: 1,
    kind: 'backup',
    database: 'qawave',
    key,
    sha256: 'a'.repeat(64),
    sizeBytes: size,
    tableCount: 3,
    rowCounts: { 'public.t': 1 },
    flywayVersion: '7',
    startedAt: '2026-03-01T02:00:00.000Z',
  };
}

/** One lie a manifest can tell, and the word the refusal must name. */
type Lie = { describe: string; field: RegExp; tell: (key: string) => string };

const fieldLie = (
  field: string,
  values: fc.Arbitrary<unknown>,
  named: RegExp,
): fc.Arbitrary<Lie> =>
  values.map(value => ({
    describe: `${field}=${String(JSON.stringify(value)).slice(0, 40)}`,
    field: named,
    tell: key => JSON.stringify({ ...honest(key), [field]: value }),
  }));

const missingField = fc
  .constantFrom('formatVersion', 'key', 'sizeBytes', 'sha256')
  .map(
    (field): Lie => ({
      describe: `no ${field}`,
      field: new RegExp(field),
      tell: key => {
        const manifest = honest(key);
        delete manifest[field];
        return JSON.stringify(manifest);
      },
    }),
  );

/** Manifests that lie about the dump: wrong size, key, checksum or version, or no manifest at all. */
const lies: fc.Arbitrary<Lie> = fc.oneof(
  fieldLie(
    'sizeBytes',
    fc.oneof(
      fc.integer().filter(n => n !== SIZE),
      fc.constantFrom(-1, 0, SIZE + 0.5, 1e300, '4096', null, [SIZE]),
    ),
    /sizeBytes/,
  ),
  fieldLie(
    'key',
    fc.oneof(
      hostileString(),
      fc.constantFrom('../other/qawave_20260301_020000.dump', null, 7),
    ),
    /key/,
  ),
  fieldLie(
    'sha256',
    fc.oneof(
      hostileString(70),
      fc.constantFrom('A'.repeat(64), 'a'.repeat(63), 'g'.repeat(64), 42, null),
    ),
    /sha256/,
  ),
  fieldLie(
    'formatVersion',
    fc.constantFrom(0, 2, '1', null, true),
    /formatVersion/,
  ),
  missingField,
  fc
    .tuple(
      fc.constantFrom(
        'truncated',
        'null',
        '[]',
        '"manifest"',
        '',
        'NaN',
        '{"a":',
      ),
      hostileString(),
    )
    .map(
      ([kind, junk]): Lie => ({
        describe: `text ${kind}`,
        field: /not valid JSON|not a JSON object/,
        tell: key =>
          kind === 'truncated'
            ? JSON.stringify(honest(key)).slice(0, 30) + junk
            : kind,
      }),
    ),
);

describe('checkManifest', () => {
  const key = 'postgresql/daily/qawave_20260301_020000.dump';

  it('accepts the honest manifest, whatever else it carries', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc
            .string()
            .filter(
              k => !['formatVersion', 'key', 'sizeBytes', 'sha256'].includes(k),
            ),
          fc.jsonValue(),
          { maxKeys: 5 },
        ),
        extra => {
          expect(
            checkManifest(JSON.stringify({ ...extra, ...honest(key) }), {
              key,
              size: SIZE,
            }),
          ).toBeUndefined();
        },
      ),
      { numRuns: runs(1000) },
    );
  });

  it('refuses every lie, naming the manifest and the field', () => {
    fc.assert(
      fc.property(lies, lie => {
        const problem = checkManifest(lie.tell(key), { key, size: SIZE });
        expect(problem).toMatch(`manifest ${key}.manifest.json`);
        expect(problem).toMatch(lie.field);
        expect(problem!.length).toBeLessThan(600);
      }),
      { numRuns: runs(4000) },
    );
  });

  it('refuses a huge manifest without parsing it', () => {
    const huge = JSON.stringify({
      ...honest(key),
      padding: 'x'.repeat(MAX_MANIFEST_BYTES),
    });
    expect(checkManifest(huge, { key, size: SIZE })).toMatch(
      /larger than 1000000 bytes/,
    );
  });
});

describe('health of backups whose newest manifest lies, read from S3 (moto)', () => {
  let s3: S3Sandbox;
  let client: S3Client;
  let storage: BackupStorage;
  const now = new Date();

  beforeAll(async () => {
    s3 = await S3Sandbox.start();
    client = new S3Client(s3.clientConfig());
    storage = new BackupStorage(
      { client, endpoint: 'https://s3.example.test' },
      10_000,
    );
  });

  afterAll(async () => {
    client?.destroy();
    await s3?.stop();
  });

  const target = (prefix: string): BackupTarget => ({
    entityRef: 'resource:default/qawave-postgresql',
    namespace: 'qawave',
    database: 'qawave',
    backupCronJob: 'postgresql-backup',
    storage: { bucket: BUCKET, prefix },
    objectives: DEFAULT_BACKUP_OBJECTIVES,
    deployments: [],
  });

  /** Three daily backups under `prefix`; the newest one's manifest is `newestManifest(key)`. */
  async function seed(
    prefix: string,
    newestManifest: (key: string) => string | undefined,
  ): Promise<string> {
    const objects = [];
    let newestKey = '';
    for (let day = 0; day < 3; day++) {
      const key = formatBackupKey(
        prefix,
        'qawave',
        new Date(now.getTime() - HOUR - day * 24 * HOUR),
      );
      if (day === 0) newestKey = key;
      objects.push({ key, body: 'x'.repeat(SIZE) });
      const manifest =
        day === 0 ? newestManifest(key) : JSON.stringify(honest(key));
      if (manifest !== undefined)
        objects.push({ key: `${key}.manifest.json`, body: manifest });
    }
    await seedBucket(client, { bucket: BUCKET, objects });
    return newestKey;
  }

  async function health(prefix: string) {
    const t = target(prefix);
    const backups = await storage.checkNewestManifests(
      BUCKET,
      await storage.listRecentBackupsAndCheckpoints({
        target: t,
        now,
        backups: 8,
        checkpoints: 1,
      }),
    );
    const newest = backups.find(b => b.complete !== false);
    const input: BackupHealthInput = {
      objectives: t.objectives,
      expectedCronJobs: { backup: 'postgresql-backup' },
      cronJobs: {
        known: true,
        value: [
          {
            name: 'postgresql-backup',
            role: 'backup',
            schedule: '0 * * * *',
            suspend: false,
            lastScheduleTime: new Date(
              now.getTime() - 10 * 60_000,
            ).toISOString(),
          },
        ],
      },
      jobs: { known: true, value: [] },
      backups: { known: true, value: backups },
      storagePolicy: {
        known: true,
        value: { expirationDays: 30, defaultEncryption: 'AES256' },
      },
      latestVerification: {
        known: true,
        value: {
          backupKey: newest?.key ?? '',
          verifiedAt: now.toISOString(),
          passed: true,
        },
      },
      latestDrill: {
        known: true,
        value: { performedAt: now.toISOString(), passed: true },
      },
    };
    return evaluateBackupHealth(input, now);
  }

  it('is healthy when every manifest tells the truth (the control)', async () => {
    await seed('honest/', key => JSON.stringify(honest(key)));
    const result = await health('honest/');
    expect(result.findings).toEqual([]);
    expect(result.status).toBe('healthy');
  });

  it('reads a trustworthy manifest again only when its ETag changes', async () => {
    const key = await seed('cached/', k => JSON.stringify(honest(k)));
    const calls = async () => {
      const before = storage.counter.calls;
      const result = await health('cached/');
      return { result, calls: storage.counter.calls - before };
    };
    const first = await calls();
    const second = await calls();
    expect(first.result.status).toBe('healthy');
    expect(second.result.status).toBe('healthy');
    // the same listing, without the GET of the newest manifest
    expect(second.calls).toBe(first.calls - 1);

    // replaced by a manifest that lies: a new ETag, so it is read and refused
    await client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: `${key}.manifest.json`,
        Body: JSON.stringify({ ...honest(key), sizeBytes: SIZE + 1 }),
      }),
    );
    const replaced = await calls();
    expect(replaced.calls).toBe(first.calls);
    expect(replaced.result.status).not.toBe('healthy');
    expect(
      replaced.result.findings.find(f => f.code === 'backup-incomplete')
        ?.message,
    ).toMatch(/sizeBytes 4097 differs/);
    // a manifest found wanting is read again on every refresh (it may have been cut short)
    const again = await calls();
    expect(again.calls).toBe(first.calls);
    expect(again.result.status).not.toBe('healthy');
  });

  it('is never healthy when the newest manifest lies, and says why', async () => {
    let scenario = 0;
    await fc.assert(
      fc.asyncProperty(lies, async lie => {
        const prefix = `lie-${scenario++}/`;
        const key = await seed(prefix, lie.tell);
        const result = await health(prefix);
        expect(result.status).not.toBe('healthy');
        const incomplete = result.findings.find(
          f => f.code === 'backup-incomplete',
        );
        expect(incomplete?.subject).toBe(key);
        expect(incomplete?.message).toMatch(lie.field);
        // The previous, honest backup is the recovery point.
        expect(result.recoveryPoint?.key).not.toBe(key);
      }),
      { numRuns: runs(40) },
    );
  });

  it('reads odd listings without a crash; a recovery point is always a non-empty dump under the prefix', async () => {
    const name = fc.oneof(
      fc
        .integer({ min: 0, max: 20 * 24 })
        .map(hours =>
          formatBackupKey(
            '',
            'qawave',
            new Date(now.getTime() - hours * HOUR),
          ).replace(/\.dump$/, ''),
        ),
      fc.constantFrom(
        'qawave_20261301_000000',
        'qawave_99991231_235959',
        'qawave_19700101_000000',
        'qawave__',
        'sub/qawave_20260101_000000',
        '..',
        '.',
        '%2e%2e',
        'qawave $(id)',
        'qawave_数据_😀',
      ),
    );
    const object = fc.record({
      name,
      suffix: fc.constantFrom('.dump', '.dump.manifest.json', '.sql.gz', ''),
      size: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5000 })),
    });
    let scenario = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(object, { minLength: 1, maxLength: 8 }),
        async objects => {
          const prefix = `odd-${scenario++}/`;
          await seedBucket(client, {
            bucket: BUCKET,
            objects: objects.map(o => ({
              key: `${prefix}${o.name}${o.suffix}`,
              body: o.suffix.endsWith('.json')
                ? JSON.stringify(honest(`${prefix}${o.name}.dump`, o.size))
                : 'x'.repeat(o.size),
            })),
          });
          const result = await health(prefix);
          expect(['healthy', 'warning', 'critical', 'unknown']).toContain(
            result.status,
          );
          const point = result.recoveryPoint;
          if (point) {
            expect(point.size).toBeGreaterThan(0);
            expect(point.key.startsWith(prefix)).toBe(true);
            expect(point.key.endsWith('.dump')).toBe(true);
          }
        },
      ),
      { numRuns: runs(25) },
    );
  });

  it('is never healthy when the newest dump has no manifest or an oversized one', async () => {
    for (const [prefix, manifest, message] of [
      [
        'none/',
        undefined,
        /without a manifest \(interrupted, or made outside pg-backup\)/,
      ],
      [
        'huge/',
        (key: string) =>
          JSON.stringify({
            ...honest(key),
            padding: 'x'.repeat(MAX_MANIFEST_BYTES),
          }),
        /larger than 1000000 bytes/,
      ],
    ] as const) {
      await seed(prefix, manifest ?? (() => undefined));
      const result = await health(prefix);
      expect(result.status).not.toBe('healthy');
      expect(
        result.findings.find(f => f.code === 'backup-incomplete')?.message,
      ).toMatch(message);
    }
  });
});
