/* eslint-disable no-console */
// Backup agent benchmark (not a test): for each database size, compares the agent with
// pg_dump/pg_restore on local files and with the QAWave runbook's own pipeline (pg_dump | aws s3 cp -),
// against the sandbox S3 (moto) on this machine. Run: bash scripts/benchmark-backup.sh [MB ...]
import { DEFAULT_DUMP_COMPRESSION } from '../src/config';
import { execFile, spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { promisify } from 'util';
import {
  CreateBucketCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { S3Sandbox, psql } from '@internal/sandbox';

const run = promisify(execFile);
// the bundled CLI the image runs (scripts/benchmark-backup.sh builds it first)
const agentCli = path.resolve(__dirname, '../dist/cli.js');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pg-backup-bench-'));

/** Runs a command under /usr/bin/time; returns wall seconds and peak RSS (KiB) of the process tree's largest member. */
function timed(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ seconds: number; maxRssKiB: number }> {
  return new Promise((resolve, reject) => {
    const stats = path.join(work, 'time.txt');
    const child = spawn(
      '/usr/bin/time',
      ['-f', '%e %M', '-o', stats, command, ...args],
      { env, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', c => (stderr += c));
    child.on('close', code => {
      if (code !== 0)
        return reject(
          new Error(
            `${command} ${args.join(' ')} failed (${code}): ${stderr.slice(
              -2000,
            )}`,
          ),
        );
      const [seconds, rss] = fs
        .readFileSync(stats, 'utf8')
        .trim()
        .split('\n')
        .pop()!
        .split(' ')
        .map(Number);
      return resolve({ seconds, maxRssKiB: rss });
    });
  });
}

/**
 * Starts every timed step from the same state: PostgreSQL's dirty buffers written out and the
 * kernel's page cache flushed to disk. Without it a step pays for the writes of the one before
 * (a restore leaves about 1 GB of dirty pages and WAL behind), which favoured whichever step
 * followed a DROP DATABASE (it forces a checkpoint).
 */
async function settle(): Promise<void> {
  await psql('postgres', 'CHECKPOINT');
  await run('sync', []);
}

async function makeDatabase(name: string, megabytes: number): Promise<number> {
  await psql('postgres', `DROP DATABASE IF EXISTS ${name}`);
  await psql('postgres', `CREATE DATABASE ${name}`);
  await psql(
    name,
    'CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz, kind text, payload text)',
  );
  let id = 0;
  const batch = 250_000;
  while (
    Number(await psql(name, 'SELECT pg_database_size(current_database())')) <
    megabytes * 1024 * 1024
  ) {
    await psql(
      name,
      `INSERT INTO events SELECT g, now() - g * interval '1 second', (ARRAY['run','result','log'])[1 + g % 3], md5(g::text) || ' ' || md5(random()::text) || ' ' || md5(random()::text) || repeat(' step passed', 1 + g % 5) FROM generate_series(${
        id + 1
      }, ${id + batch}) g`,
    );
    id += batch;
  }
  await psql(name, 'VACUUM ANALYZE events');
  return Number(
    await psql(name, 'SELECT pg_database_size(current_database())'),
  );
}

async function main(): Promise<void> {
  const sizes = process.argv
    .slice(2)
    .map(Number)
    .filter(n => n > 0);
  const s3 = await S3Sandbox.start({ logFile: path.join(work, 's3.log') });
  const client = new S3Client(s3.clientConfig());
  await client.send(new CreateBucketCommand({ Bucket: 'bench' }));
  const awsEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
    AWS_DEFAULT_REGION: s3.region,
    AWS_REGION: s3.region,
  };
  const rows: string[] = [];
  try {
    for (const mb of sizes.length ? sizes : [100, 1024]) {
      const db = `bench_${mb}mb`;
      console.error(`benchmark: generating ${db} (${mb} MB)`);
      const bytes = await makeDatabase(db, mb);
      const agentEnv = {
        ...awsEnv,
        PGHOST: '127.0.0.1',
        PGUSER: 'postgres',
        PGDATABASE: db,
        S3_BUCKET: 'bench',
        S3_PREFIX: `agent-${mb}/`,
        S3_ENDPOINT: s3.endpoint,
        TERMINATION_MESSAGE_PATH: path.join(work, 'term'),
      };
      const file = path.join(work, `${db}.dump`);
      const repeats = Number(process.env.BENCH_REPEATS ?? 5);
      const samples: Record<
        string,
        Array<{ seconds: number; maxRssKiB: number }>
      > = {};
      const sample = (
        name: string,
        value: { seconds: number; maxRssKiB: number },
      ) => {
        // every sample on stderr, so a median can be read against its spread
        console.error(
          `benchmark: ${db} ${name} ${value.seconds.toFixed(2)} s, ${Math.round(
            value.maxRssKiB / 1024,
          )} MiB`,
        );
        (samples[name] ??= []).push(value);
      };
      type Step = [
        string,
        () => Promise<{ seconds: number; maxRssKiB: number }>,
      ];
      const backups: Step[] = [
        [
          'pgDump',
          () =>
            timed('pg_dump', [
              '-Fc',
              '-h',
              '127.0.0.1',
              '-U',
              'postgres',
              '-d',
              db,
              '-f',
              file,
            ]),
        ],
        [
          'agentBackup',
          () => timed(process.execPath, [agentCli, 'backup'], agentEnv),
        ],
        [
          'peer',
          () =>
            timed(
              'bash',
              [
                '-c',
                `pg_dump -Fc -h 127.0.0.1 -U postgres -d ${db} | aws --endpoint-url ${s3.endpoint} s3 cp - s3://bench/peer-${mb}/${db}.dump`,
              ],
              awsEnv,
            ),
        ],
      ];
      let key = '';
      const restores: Step[] = [
        [
          'pgRestore',
          async () => {
            await psql('postgres', `DROP DATABASE IF EXISTS ${db}_pgrestore`);
            await psql('postgres', `CREATE DATABASE ${db}_pgrestore`);
            await settle();
            return timed('pg_restore', [
              '--no-owner',
              '--exit-on-error',
              '-j',
              '2',
              '-h',
              '127.0.0.1',
              '-U',
              'postgres',
              '-d',
              `${db}_pgrestore`,
              file,
            ]);
          },
        ],
        [
          'agentRestore',
          async () => {
            await psql('postgres', `DROP DATABASE IF EXISTS ${db}_agent`);
            await settle();
            return timed(process.execPath, [agentCli, 'restore'], {
              ...agentEnv,
              BACKUP_FILE: key,
              TARGET_DATABASE: `${db}_agent`,
              RESTORE_JOBS: '2',
              RESTORE_WORK_DIR: work,
            });
          },
        ],
      ];
      for (let round = 1; round <= repeats; round++) {
        console.error(`benchmark: ${db} round ${round}/${repeats}`);
        // Even rounds run the steps in reverse order: a step is not always the one that follows
        // the heaviest writes (a restore writes about 2 GB of data and WAL at 1 GB).
        const inOrder = <T>(steps: T[]) =>
          round % 2 === 1 ? steps : [...steps].reverse();
        for (const [name, step] of inOrder(backups)) {
          await settle();
          sample(name, await step());
        }
        key ||= (
          await client.send(
            new ListObjectsV2Command({
              Bucket: 'bench',
              Prefix: `agent-${mb}/`,
            }),
          )
        )
          .Contents!.map(o => o.Key!)
          .find(k => k.endsWith('.dump'))!;
        for (const [name, step] of inOrder(restores)) {
          sample(name, await step());
        }
      }
      const median = (name: string) => {
        const sorted = [...samples[name]].sort((a, b) => a.seconds - b.seconds);
        return {
          ...sorted[Math.floor(sorted.length / 2)],
          maxRssKiB: Math.max(...samples[name].map(s => s.maxRssKiB)),
        };
      };
      const [pgDump, agentBackup, peer, pgRestore, agentRestore] = [
        'pgDump',
        'agentBackup',
        'peer',
        'pgRestore',
        'agentRestore',
      ].map(median);
      const dumpBytes = fs.statSync(file).size;
      const storedBytes = (
        await client.send(
          new ListObjectsV2Command({ Bucket: 'bench', Prefix: `agent-${mb}/` }),
        )
      ).Contents!.find(o => o.Key === key)!.Size!;
      const mib = (n: number) => (n / 1024 / 1024).toFixed(0);
      rows.push(
        `| ${mib(bytes)} MiB db, ${mib(
          dumpBytes,
        )} MiB default dump, agent stores ${mib(storedBytes)} MiB (${(
          (storedBytes / dumpBytes - 1) *
          100
        ).toFixed(0)} %) | backup: pg_dump to file ${pgDump.seconds.toFixed(
          1,
        )} s · agent (-Z${
          process.env.PG_DUMP_COMPRESSION ?? DEFAULT_DUMP_COMPRESSION
        }) to S3 ${agentBackup.seconds.toFixed(1)} s (**${(
          pgDump.seconds / agentBackup.seconds
        ).toFixed(2)}×**) · pg_dump \\| aws s3 cp ${peer.seconds.toFixed(
          1,
        )} s | restore: pg_restore -j2 ${pgRestore.seconds.toFixed(
          1,
        )} s · agent ${agentRestore.seconds.toFixed(1)} s (**${(
          pgRestore.seconds / agentRestore.seconds
        ).toFixed(2)}×**) | agent peak RSS: backup ${(
          agentBackup.maxRssKiB / 1024
        ).toFixed(0)} MiB, restore ${(agentRestore.maxRssKiB / 1024).toFixed(
          0,
        )} MiB |`,
      );
      for (const suffix of ['', '_pgrestore', '_agent'])
        await psql('postgres', `DROP DATABASE IF EXISTS ${db}${suffix}`);
      fs.rmSync(file, { force: true });
    }
  } finally {
    await s3.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
  const table = [
    `Median of ${
      process.env.BENCH_REPEATS ?? 5
    } rounds; peak RSS is the largest seen.`,
    '',
    '| size | backup (throughput vs pg_dump) | restore (vs pg_restore) | memory |',
    '| --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
  console.log(table);
}

main().catch(error => {
  console.error(`benchmark: ${error.message}`);
  process.exit(1);
});
