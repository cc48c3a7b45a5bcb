import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  OutputTail,
  describeExit,
  errorLine,
  findOnPath,
  runPgTool,
  withLargeInputBuffer,
  withLargeOutputBuffer,
} from './pgTools';

describe('OutputTail', () => {
  it('keeps the end of long output and its last line', () => {
    const tail = new OutputTail(10);
    tail.push('a'.repeat(50));
    tail.push('\nlast line\n');
    expect(tail.toString()).toHaveLength(9);
    expect(tail.lastLine()).toBe('last line');
    expect(
      errorLine(
        'pg_dump: error: query failed\npg_dump: detail: Query was: X\n',
      ),
    ).toBe('pg_dump: error: query failed');
  });
});

describe('runPgTool', () => {
  it('reports that pg_restore cannot read a file that is no archive', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-pgtools-'));
    try {
      const file = path.join(dir, 'junk.dump');
      fs.writeFileSync(file, 'not an archive');
      const result = await runPgTool('pg_restore', ['--list', file], {
        env: process.env,
      });
      expect(result.exitCode).toBe(1);
      expect(result.stderrTail).toContain(
        'input file does not appear to be a valid archive',
      );
      expect(describeExit(result)).toBe('exit code 1');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says which program is missing', async () => {
    await expect(
      runPgTool('pg_restore_missing_program', [], { env: process.env }),
    ).rejects.toThrow('pg_restore_missing_program was not found on PATH');
  });
});

describe('withLargeOutputBuffer', () => {
  const pgDump = findOnPath('pg_dump')!;
  const stdbuf = findOnPath('stdbuf')!;

  it('runs pg_dump under stdbuf with a 1 MiB output buffer', () => {
    expect(pgDump).toMatch(/\/pg_dump$/);
    expect(stdbuf).toMatch(/\/stdbuf$/);
    expect(withLargeOutputBuffer('pg_dump', ['-Fc', '-d', 'x'])).toEqual({
      command: stdbuf,
      args: ['-o', '1M', 'pg_dump', '-Fc', '-d', 'x'],
    });
  });

  it('runs the program as is when it or stdbuf is not on PATH', () => {
    expect(withLargeOutputBuffer('pg_dump_missing', ['-Fc'])).toEqual({
      command: 'pg_dump_missing',
      args: ['-Fc'],
    });
    const onlyPgDump = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-path-'));
    try {
      fs.symlinkSync(pgDump, path.join(onlyPgDump, 'pg_dump'));
      expect(findOnPath('pg_dump', onlyPgDump)).toBe(
        path.join(onlyPgDump, 'pg_dump'),
      );
      expect(withLargeOutputBuffer('pg_dump', ['-Fc'], onlyPgDump)).toEqual({
        command: 'pg_dump',
        args: ['-Fc'],
      });
    } finally {
      fs.rmSync(onlyPgDump, { recursive: true, force: true });
    }
  });

  it('keeps the output of the program byte for byte', () => {
    const wrapped = withLargeOutputBuffer('pg_dump', ['--help']);
    expect(wrapped.command).toBe(stdbuf);
    expect(execFileSync(wrapped.command, wrapped.args)).toEqual(
      execFileSync('pg_dump', ['--help']),
    );
  });
});

describe('withLargeInputBuffer', () => {
  it('runs pg_restore under stdbuf with a 1 MiB input buffer, or as is without pg_restore', () => {
    expect(withLargeInputBuffer('pg_restore', ['-d', 'x'])).toEqual({
      command: findOnPath('stdbuf'),
      args: ['-i', '1M', 'pg_restore', '-d', 'x'],
    });
    expect(withLargeInputBuffer('pg_restore_missing', ['-d', 'x'])).toEqual({
      command: 'pg_restore_missing',
      args: ['-d', 'x'],
    });
  });

  it('keeps the input of the program byte for byte', () => {
    const input = Buffer.from(
      Array.from({ length: 300_000 }, (_, i) => i % 251),
    );
    const wrapped = withLargeInputBuffer('sha256sum', []);
    expect(wrapped.command).toBe(findOnPath('stdbuf'));
    expect(execFileSync(wrapped.command, wrapped.args, { input })).toEqual(
      execFileSync('sha256sum', [], { input }),
    );
  });
});
