import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { withArchiveTime } from './archiveTime';

const PG = ['-h', '127.0.0.1', '-U', 'postgres'];
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('withArchiveTime', () => {
  const database = `pgb_archive_time_${process.pid}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgb-archive-'));
  let dump: Buffer;

  beforeAll(() => {
    execFileSync('createdb', [...PG, database]);
    execFileSync('psql', [
      ...PG,
      '-d',
      database,
      '-c',
      'CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders VALUES (1), (2);',
    ]);
    dump = execFileSync('pg_dump', [...PG, '-Fc', '-Z1', database]);
  });

  afterAll(() => {
    execFileSync('dropdb', [...PG, '--if-exists', database]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('dates a real pg_dump archive, which stock pg_restore still reads and restores', () => {
    const at = new Date('2026-11-03T02:00:00Z');
    const copy = withArchiveTime(dump, at);
    expect(copy.length).toBe(dump.length);
    expect(sha256(copy)).not.toBe(sha256(dump));
    expect(
      sha256(withArchiveTime(dump, new Date('2026-11-04T02:00:00Z'))),
    ).not.toBe(sha256(copy));
    const file = path.join(dir, 'copy.dump');
    fs.writeFileSync(file, copy);
    const listing = execFileSync('pg_restore', ['--list', file], {
      encoding: 'utf8',
      env: { ...process.env, TZ: 'UTC' },
    });
    expect(listing).toMatch(/Archive created at 2026-11-03 02:00:00/);
    expect(listing).toMatch(/TABLE public orders/);
    const restored = `${database}_restored`;
    execFileSync('createdb', [...PG, restored]);
    try {
      execFileSync('pg_restore', [...PG, '-d', restored, file]);
      expect(
        execFileSync(
          'psql',
          [...PG, '-d', restored, '-tAc', 'SELECT count(*) FROM orders'],
          { encoding: 'utf8' },
        ).trim(),
      ).toBe('2');
    } finally {
      execFileSync('dropdb', [...PG, '--if-exists', restored]);
    }
  });

  it('leaves anything that is not a custom-format archive alone', () => {
    const plain = Buffer.from('-- PostgreSQL database dump\n');
    expect(withArchiveTime(plain, new Date())).toBe(plain);
  });
});
