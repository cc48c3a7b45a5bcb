import {
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { S3Sandbox, seedBucket } from '@internal/sandbox';
import {
  CliRun,
  createSmallDatabase,
  databaseExists,
  dropDatabases,
  runCli,
  sql,
  uniqueDatabaseName,
} from './__testUtils__/testEnvironment';

jest.setTimeout(60_000);

const PG_PASSWORD = 'pg-secret-4f1c9e';
const BUCKET = 'agent-e2e';
/** What a manifest of the database `createSmallDatabase` makes says about its tables. */
const SMALL_DATABASE_FACTS = {
  tableCount: 3,
  rowCounts: {
    'public.customers': 250,
    'billing.invoices': 1000,
    'public.flyway_schema_history': 3,
  },
  flywayVersion: '2',
};

describe('backup agent CLI (real PostgreSQL, real S3 sandbox)', () => {
  let s3: S3Sandbox;
  let client: S3Client;
  const databases: string[] = [];
  const runs: CliRun[] = [];
  const source = uniqueDatabaseName('src');
  const restored = uniqueDatabaseName('restored');
  let backupFile: string;

  function env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      PGHOST: '127.0.0.1',
      PGPORT: '5432',
      PGUSER: 'postgres',
      PGPASSWORD: PG_PASSWORD,
      PGDATABASE: source,
      S3_BUCKET: BUCKET,
      S3_PREFIX: 'postgresql/daily/',
      S3_ENDPOINT: s3.endpoint,
      AWS_REGION: s3.region,
      AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
      TERMINATION_MESSAGE_PATH: '/nonexistent/termination-log',
      RESTORE_JOBS: '2',
      ...extra,
    };
  }

  async function agent(
    args: string[],
    extraEnv: Record<string, string> = {},
    onStdout?: Parameters<typeof runCli>[2],
  ): Promise<CliRun> {
    const run = await runCli(args, env(extraEnv), onStdout);
    runs.push(run);
    return run;
  }

  async function keys(prefix = ''): Promise<string[]> {
    const listed = await client.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }),
    );
    return (listed.Contents ?? []).map(o => o.Key as string);
  }

  beforeAll(async () => {
    s3 = await S3Sandbox.start();
    client = new S3Client(s3.clientConfig());
    await seedBucket(client, { bucket: BUCKET, encryption: 'AES256' });
    databases.push(source, restored);
    await createSmallDatabase(source);
  });

  afterAll(async () => {
    client?.destroy();
    await s3?.stop();
    await dropDatabases(databases);
  });

  it('backs up, restores into a new database and verifies equal row counts', async () => {
    const backup = await agent(['backup']);
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
    const key = /complete: s3:\/\/[^/]+\/(\S+\.dump)/.exec(backup.stdout)?.[1];
    expect(key).toMatch(
      new RegExp(`^postgresql/daily/${source}_\\d{8}_\\d{6}\\.dump$`),
    );
    expect(backup.stdout).toMatch(/sha256 [0-9a-f]{64}/);
    expect(await keys('postgresql/daily/')).toEqual([
      key,
      `${key}.manifest.json`,
    ]);

    const manifestObject = await client.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: `${key}.manifest.json` }),
    );
    expect(manifestObject.ServerSideEncryption).toBe('AES256');
    const manifest = JSON.parse(await manifestObject.Body!.transformToString());
    expect(manifest).toMatchObject({
      formatVersion: 1,
      kind: 'backup',
      database: source,
      key,
      ...SMALL_DATABASE_FACTS,
      encryption: { serverSide: 'AES256' },
    });
    backupFile = key!.split('/').pop()!;

    const restore = await agent(['restore'], {
      BACKUP_FILE: backupFile,
      TARGET_DATABASE: restored,
    });
    expect(restore.code).toBe(0);
    expect(restore.stdout).toContain(`"${restored}" restored`);
    const rows = await sql(
      'SELECT count(*)::int AS n FROM billing.invoices',
      restored,
    );
    expect(rows[0].n).toBe(1000);

    const verify = await agent(['verify'], {
      BACKUP_FILE: backupFile,
      TARGET_DATABASE: restored,
    });
    expect(verify.code).toBe(0);
    const report = JSON.parse(verify.stdout.trim().split('\n').pop()!);
    expect(report).toMatchObject({
      backupKey: key,
      database: restored,
      passed: true,
    });
    expect(report.checks).toContainEqual({
      name: 'rows:billing.invoices',
      expected: 1000,
      actual: 1000,
      passed: true,
    });
  });

  it('refuses to restore over an existing database unless RESTORE_OVERWRITE=true', async () => {
    await sql('CREATE TABLE marker (id int)', restored);
    const refused = await agent(['restore'], {
      BACKUP_FILE: backupFile,
      TARGET_DATABASE: restored,
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`"${restored}" already exists`);
    expect(refused.stderr).toContain('RESTORE_OVERWRITE=true');
    expect(
      await sql(
        "SELECT to_regclass('marker') IS NOT NULL AS present",
        restored,
      ),
    ).toEqual([{ present: true }]);

    const overwritten = await agent(['restore'], {
      BACKUP_FILE: backupFile,
      TARGET_DATABASE: restored,
      RESTORE_OVERWRITE: 'true',
    });
    expect(overwritten.code).toBe(0);
    expect(
      await sql(
        "SELECT to_regclass('marker') IS NOT NULL AS present",
        restored,
      ),
    ).toEqual([{ present: false }]);
  });

  it('fails verification with a JSON report naming the table after rows were deleted', async () => {
    await sql('DELETE FROM billing.invoices WHERE id > 990', restored);
    const verify = await agent(['verify'], {
      BACKUP_FILE: backupFile,
      TARGET_DATABASE: restored,
    });
    expect(verify.code).toBe(1);
    const report = JSON.parse(verify.stdout.trim().split('\n').pop()!);
    expect(report.passed).toBe(false);
    expect(report.checks.filter((c: { passed: boolean }) => !c.passed)).toEqual(
      [
        {
          name: 'rows:billing.invoices',
          expected: 1000,
          actual: 990,
          passed: false,
        },
      ],
    );
  });

  it('refuses a restore whose object has one flipped byte, before the target exists', async () => {
    const key = `postgresql/daily/${backupFile}`;
    const original = await client.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: key }),
    );
    const bytes = Buffer.from(await original.Body!.transformToByteArray());
    bytes[Math.floor(bytes.length / 2)] ^= 0x01;
    await client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: bytes }),
    );

    const target = uniqueDatabaseName('corrupt');
    databases.push(target);
    const restore = await agent(['restore'], {
      BACKUP_FILE: backupFile,
      TARGET_DATABASE: target,
    });
    expect(restore.code).toBe(2);
    expect(restore.stderr).toMatch(
      /refusing to restore .* corrupt or was replaced/,
    );
    expect(await databaseExists(target)).toBe(false);

    // The same refusal when the dump is downloaded for a parallel restore.
    const parallel = await agent(['restore'], {
      BACKUP_FILE: backupFile,
      TARGET_DATABASE: target,
      RESTORE_MODE: 'parallel',
    });
    expect(parallel.code).toBe(2);
    expect(parallel.stderr).toMatch(
      /refusing to restore .* corrupt or was replaced/,
    );
    expect(await databaseExists(target)).toBe(false);
    // This target's own staging names only: other suites restore side by side.
    const staging = await sql(
      `SELECT datname FROM pg_database WHERE datname LIKE '${target.replace(
        /_/g,
        '\\_',
      )}\\_\\_restoring\\_%'`,
    );
    expect(staging).toEqual([]);
  });

  it('adopts a dump made by a pg_dump -Fc pipeline: restored and verified with ADOPT_DUMP=true, which writes its manifest', async () => {
    // What a `pg_dump -Fc | aws s3 cp - s3://...` pipeline leaves: a dump and no manifest.
    const dump = spawnSync('pg_dump', ['-Fc', '-d', source], {
      env: { ...process.env, PGHOST: '127.0.0.1', PGUSER: 'postgres' },
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(dump.status).toBe(0);
    const file = `${source}_20260101_020000.dump`;
    const key = `postgresql/pipeline/${file}`;
    await client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: dump.stdout }),
    );
    const at = { S3_PREFIX: 'postgresql/pipeline/', BACKUP_FILE: file };
    const target = uniqueDatabaseName('adopted');
    databases.push(target);

    // Without ADOPT_DUMP a dump without a manifest is refused, naming the way out.
    const refusedRestore = await agent(['restore'], {
      ...at,
      TARGET_DATABASE: target,
    });
    expect(refusedRestore.code).toBe(2);
    expect(refusedRestore.stderr).toMatch(
      /its manifest .* does not exist .* made outside pg-backup is restored and verified with ADOPT_DUMP=true/,
    );
    expect(await databaseExists(target)).toBe(false);

    const restore = await agent(['restore'], {
      ...at,
      TARGET_DATABASE: target,
      ADOPT_DUMP: 'true',
    });
    expect(restore.code).toBe(0);
    expect(restore.stdout).toContain('has no manifest: adopting it');
    const read =
      /restore: (?:downloaded|streamed) (\d+) bytes, sha256 ([0-9a-f]{64})/.exec(
        restore.stdout,
      );
    expect(read?.[1]).toBe(String(dump.stdout.length));
    expect(read?.[2]).toBe(
      createHash('sha256').update(dump.stdout).digest('hex'),
    );
    expect(await keys('postgresql/pipeline/')).toEqual([key]);

    // Verify needs what the restore read; with it, it writes the manifest from the restored copy.
    const withoutBytes = await agent(['verify'], {
      ...at,
      TARGET_DATABASE: target,
      ADOPT_DUMP: 'true',
    });
    expect(withoutBytes.code).toBe(2);
    expect(withoutBytes.stderr).toContain(
      'pass what the restore read as ADOPT_SHA256 and ADOPT_SIZE_BYTES',
    );
    const verify = await agent(['verify'], {
      ...at,
      TARGET_DATABASE: target,
      ADOPT_DUMP: 'true',
      ADOPT_SIZE_BYTES: read![1],
      ADOPT_SHA256: read![2],
    });
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout.trim().split('\n').pop()!)).toMatchObject({
      backupKey: key,
      database: target,
      passed: true,
    });
    expect(await keys('postgresql/pipeline/')).toEqual([
      key,
      `${key}.manifest.json`,
    ]);
    const manifest = JSON.parse(
      await (
        await client.send(
          new GetObjectCommand({
            Bucket: BUCKET,
            Key: `${key}.manifest.json`,
          }),
        )
      ).Body!.transformToString(),
    );
    expect(manifest).toMatchObject({
      formatVersion: 1,
      kind: 'backup',
      database: source,
      key,
      sizeBytes: dump.stdout.length,
      sha256: read![2],
      ...SMALL_DATABASE_FACTS,
    });

    // From now on it is a backup like the agent's own: a plain restore checks it.
    const again = uniqueDatabaseName('adopted2');
    databases.push(again);
    const plain = await agent(['restore'], { ...at, TARGET_DATABASE: again });
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('checksum matches the manifest');
  });

  it('leaves no manifest and no upload behind when a backup is killed midway', async () => {
    const big = uniqueDatabaseName('big');
    databases.push(big);
    await sql(`CREATE DATABASE "${big}"`);
    await sql(
      `CREATE TABLE payload (id int, body text);
       INSERT INTO payload SELECT g, md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text)
       FROM generate_series(1, 300000) g;`,
      big,
    );
    const prefix = 'postgresql/killed/';
    let signalled = false;
    const run = await agent(
      ['backup'],
      { PGDATABASE: big, S3_PREFIX: prefix },
      (out, child) => {
        // the first progress line comes at 8 MiB: the first multipart part is on its way
        if (!signalled && out.includes('MiB dumped')) {
          signalled = true;
          child.kill('SIGTERM');
        }
      },
    );
    expect(signalled).toBe(true);
    if (process.env.AGENT_TEST_DEBUG) console.log(run);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('backup interrupted by SIGTERM');
    expect(run.stdout).not.toContain('complete:');
    expect(run.stdout).toMatch(
      /stopped after [\d.]+ MiB dumped; multipart upload .* aborted/,
    );
    expect(await keys(prefix)).toEqual([]);
    const uploads = await client.send(
      new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: prefix }),
    );
    expect(uploads.Uploads ?? []).toEqual([]);
  });

  it('leaves the existing database intact when a restore over it is interrupted', async () => {
    const big = uniqueDatabaseName('bigsrc');
    databases.push(big);
    await sql(`CREATE DATABASE "${big}"`);
    await sql(
      `CREATE TABLE payload (id int primary key, body text);
       INSERT INTO payload SELECT g, repeat(md5(random()::text), 8) FROM generate_series(1, 200000) g;`,
      big,
    );
    const backup = await agent(['backup'], {
      PGDATABASE: big,
      S3_PREFIX: 'postgresql/big/',
    });
    expect(backup.code).toBe(0);
    const key = (await keys('postgresql/big/')).find(k => k.endsWith('.dump'))!;
    const before = await sql(
      "SELECT to_regclass('payload') IS NOT NULL AS payload, to_regclass('marker') IS NOT NULL AS marker",
      restored,
    );

    let signalled = false;
    const run = await agent(
      ['restore'],
      {
        BACKUP_FILE: key.split('/').pop()!,
        TARGET_DATABASE: restored,
        RESTORE_OVERWRITE: 'true',
        S3_PREFIX: 'postgresql/big/',
      },
      (out, child) => {
        if (!signalled && out.includes('created staging database')) {
          signalled = true;
          child.kill('SIGTERM');
        }
      },
    );
    expect(signalled).toBe(true);
    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).not.toContain('complete:');
    // The target is exactly as it was, and no staging database is left behind.
    expect(
      await sql(
        "SELECT to_regclass('payload') IS NOT NULL AS payload, to_regclass('marker') IS NOT NULL AS marker",
        restored,
      ),
    ).toEqual(before);
    expect(before).toEqual([{ payload: false, marker: false }]);
    expect(
      await sql(
        // This restore's own staging names only: other suites restore side by side.
        `SELECT datname FROM pg_database WHERE datname LIKE '${restored.replace(
          /_/g,
          '\\_',
        )}\\_\\_restoring\\_%' OR datname LIKE '${restored.replace(
          /_/g,
          '\\_',
        )}\\_\\_replaced\\_%'`,
      ),
    ).toEqual([]);
  });

  it('refuses missing variables and a bad BACKUP_FILE with exit 2, naming them', async () => {
    const missing = await agent(['backup'], { PGDATABASE: '', S3_BUCKET: '' });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(
      'missing environment variables PGDATABASE, S3_BUCKET',
    );

    const traversal = await agent(['restore'], { BACKUP_FILE: '../x.dump' });
    expect(traversal.code).toBe(2);
    expect(traversal.stderr).toContain('BACKUP_FILE "../x.dump" is not valid');

    const absent = await agent(['restore'], {
      BACKUP_FILE: `${source}_20200101_000000.dump`,
    });
    expect(absent.code).toBe(2);
    expect(absent.stderr).toContain('is not a complete backup');

    const unknownDb = await agent(['backup'], {
      PGDATABASE: 'agent_no_such_db',
    });
    expect(unknownDb.code).toBe(2);
    expect(unknownDb.stderr).toContain(
      'database "agent_no_such_db" does not exist',
    );

    const noBucket = await agent(['verify'], {
      S3_BUCKET: 'agent-no-such-bucket',
      BACKUP_FILE: backupFile,
    });
    expect(noBucket.code).toBe(2);
    expect(noBucket.stderr).toContain(
      'bucket "agent-no-such-bucket" does not exist (S3_BUCKET)',
    );
  });

  it('never prints the PostgreSQL password or the S3 secret key', () => {
    expect(runs.length).toBeGreaterThan(8);
    for (const run of runs) {
      for (const text of [run.stdout, run.stderr]) {
        expect(text).not.toContain(PG_PASSWORD);
        expect(text).not.toContain(s3.credentials.secretAccessKey);
      }
    }
  });
});
