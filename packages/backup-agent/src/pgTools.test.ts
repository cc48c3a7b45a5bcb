import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OutputTail, describeExit, errorLine, runPgTool } from './pgTools';

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
