// Each property checks the outcome its generated case calls for, so expectations are conditional.
/* eslint-disable jest/no-conditional-expect */
import { createHash } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { S3Sandbox, seedBucket } from '@internal/sandbox';
import fc from 'fast-check';
import { AgentError } from './AgentError';
import type { AgentLog } from './AgentLog';
import {
  databaseExists,
  uniqueDatabaseName,
} from './__testUtils__/testEnvironment';
import { readAgentConfig } from './config';
import { BackupManifest, parseManifest } from './manifest';
import { restoreFromS3 } from './restoreFromS3';

jest.setTimeout(120_000);

// PG_BACKUP_SOAK=1 runs ten times as many cases; a failure prints the seed to replay it.
const runs = (n: number) => (process.env.PG_BACKUP_SOAK === '1' ? n * 10 : n);

const log: AgentLog = { info: () => {}, warn: () => {}, error: () => {} };
const BODY = Buffer.from('not really a dump, but bytes with a known checksum');
const SHA = createHash('sha256').update(BODY).digest('hex');

function honest(key: string): BackupManifest {
  return {
    formatVersion: 1,
    kind: 'backup',
    database: 'qawave',
    serverVersion: '15.20',
    key,
    startedAt: '2026-01-30T02:00:00.000Z',
    finishedAt: '2026-01-30T02:00:05.000Z',
    durationMs: 5000,
    sizeBytes: BODY.length,
    sha256: SHA,
    encryption: { serverSide: 'AES256' },
    tableCount: 1,
    rowCounts: { 'public.a': 3 },
    flywayVersion: null,
    snapshot: '00000003-00000002-1',
  };
}

const hostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('', '../x.dump', '$(id)', 'x'.repeat(3000), '\n', 'null'),
);

/** A manifest that lies: a field wrong, of the wrong type or missing, or no JSON object at all. */
const lyingManifest = (
  key: string,
): fc.Arbitrary<{ text: string; lie: string }> =>
  fc.oneof(
    fc
      .tuple(
        fc.constantFrom<keyof BackupManifest>(
          'formatVersion',
          'key',
          'sha256',
          'sizeBytes',
          'database',
          'tableCount',
          'rowCounts',
          'flywayVersion',
        ),
        fc.oneof(
          hostile,
          fc.constantFrom(null, -1, 2, 1.5, true, [], {}, { a: 'x' }),
        ),
      )
      .filter(([field, value]) => {
        // Values the agent rightly accepts for the field are no lie.
        if (field === 'flywayVersion')
          return value !== null && typeof value !== 'string';
        if (field === 'rowCounts')
          return !(
            typeof value === 'object' &&
            value !== null &&
            !Array.isArray(value) &&
            Object.values(value).every(Number.isSafeInteger)
          );
        if (field === 'database') return typeof value !== 'string';
        // A count of the right form is no lie the manifest alone can show (the bytes or a
        // verification do, below and in verifyDatabase).
        if (field === 'tableCount' || field === 'sizeBytes')
          return !(Number.isSafeInteger(value) && (value as number) >= 0);
        return true;
      })
      .map(([field, value]) => ({
        text: JSON.stringify({ ...honest(key), [field]: value }),
        lie: String(field),
      })),
    fc
      .constantFrom<keyof BackupManifest>(
        'formatVersion',
        'key',
        'sha256',
        'sizeBytes',
        'database',
        'tableCount',
        'rowCounts',
      )
      .map(field => {
        const manifest: Partial<BackupManifest> = honest(key);
        delete manifest[field];
        return { text: JSON.stringify(manifest), lie: String(field) };
      }),
    fc
      .constantFrom('null', '[]', '42', '"manifest"', '{', '', 'true')
      .map(text => ({ text, lie: 'JSON' })),
  );

const KEY = 'postgresql/daily/qawave_20260130_020000.dump';

describe('parseManifest with lying manifests', () => {
  it('returns only manifests that satisfy the format, and refuses the rest naming the field', () => {
    fc.assert(
      fc.property(lyingManifest(KEY), ({ text, lie }) => {
        let error: unknown;
        try {
          parseManifest(text, KEY);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(AgentError);
        const { exitCode, message } = error as AgentError;
        expect(exitCode).toBe(2);
        expect(message).toContain(`manifest ${KEY}.manifest.json`);
        expect(message).toMatch(
          lie === 'JSON'
            ? /not valid JSON|not a JSON object|formatVersion/
            : new RegExp(lie),
        );
        expect(message.length).toBeLessThan(800);
      }),
      { numRuns: runs(3000) },
    );
  });

  it('never throws anything but a refusal on arbitrary text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.json()), text => {
        try {
          const manifest = parseManifest(text, KEY);
          expect(manifest.key).toBe(KEY);
          expect(manifest.sha256).toMatch(/^[0-9a-f]{64}$/);
        } catch (e) {
          expect(e).toBeInstanceOf(AgentError);
        }
      }),
      { numRuns: runs(3000) },
    );
  });

  it('refuses a manifest that is JSON null or a huge wrong key (regressions)', () => {
    expect(() => parseManifest('null', KEY)).toThrow(
      `manifest ${KEY}.manifest.json is not a JSON object`,
    );
    const huge = JSON.stringify({ ...honest(KEY), key: 'k'.repeat(100_000) });
    let message = '';
    try {
      parseManifest(huge, KEY);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/key "k+…" \(expected "/);
    expect(message.length).toBeLessThan(600);
  });
});

describe('restore from a lying manifest (moto S3, PostgreSQL)', () => {
  let sandbox: S3Sandbox;
  let s3Client: S3Client;

  beforeAll(async () => {
    sandbox = await S3Sandbox.start();
    s3Client = new S3Client(sandbox.clientConfig());
  });

  afterAll(async () => {
    s3Client?.destroy();
    await sandbox?.stop();
  });

  it('refuses before touching the target, whatever the manifest claims', async () => {
    let n = 0;
    const lies = fc.oneof(
      lyingManifest(KEY).map(l => ({
        ...l,
        sizeBytes: undefined,
        sha: undefined,
      })),
      // Well-formed manifests whose size or checksum do not match the bytes.
      fc
        .tuple(
          fc.integer({ min: 0, max: 1e9 }),
          fc.stringMatching(/^[0-9a-f]{64}$/),
        )
        .filter(([size, sha]) => size !== BODY.length || sha !== SHA)
        .map(([sizeBytes, sha]) => ({
          text: '',
          lie: 'bytes',
          sizeBytes,
          sha,
        })),
    );
    await fc.assert(
      fc.asyncProperty(lies, fc.boolean(), async (lie, namedTarget) => {
        const i = n++;
        const file = `qawave_${String(20260101 + (i % 28)).padStart(
          8,
          '0',
        )}_${String(100000 + i).slice(-6)}.dump`;
        const key = `lies/${file}`;
        const text =
          lie.lie === 'bytes'
            ? JSON.stringify({
                ...honest(key),
                sizeBytes: lie.sizeBytes,
                sha256: lie.sha,
              })
            : lie.text.split(JSON.stringify(KEY)).join(JSON.stringify(key));
        await seedBucket(s3Client, {
          bucket: 'lying-manifests',
          objects: [
            { key, body: BODY },
            { key: `${key}.manifest.json`, body: text },
          ],
        });
        const target = uniqueDatabaseName('lie');
        const config = readAgentConfig('restore', {
          PGHOST: '127.0.0.1',
          S3_BUCKET: 'lying-manifests',
          S3_PREFIX: 'lies/',
          S3_ENDPOINT: sandbox.endpoint,
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          BACKUP_FILE: file,
          RESTORE_MODE: 'parallel',
          ...(namedTarget && { TARGET_DATABASE: target }),
        });
        let error: unknown;
        try {
          await restoreFromS3(config, {
            s3Client,
            log,
            signal: new AbortController().signal,
          });
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(AgentError);
        expect((error as AgentError).exitCode).toBe(2);
        expect((error as AgentError).message).toMatch(
          lie.lie === 'bytes'
            ? /the object is corrupt or was replaced\. Database ".*" was not touched/
            : /manifest .*\.manifest\.json|set TARGET_DATABASE/,
        );
        if (namedTarget) expect(await databaseExists(target)).toBe(false);
      }),
      { numRuns: runs(30) },
    );
  });
});
