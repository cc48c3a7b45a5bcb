import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeTerminationMessage } from './terminationMessage';

describe('writeTerminationMessage', () => {
  it('writes at most 4 KiB and skips unwritable paths', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-term-'));
    try {
      const file = path.join(dir, 'termination-log');
      expect(writeTerminationMessage(file, 'x'.repeat(5000))).toBe(true);
      expect(fs.readFileSync(file, 'utf8')).toHaveLength(4096);
      expect(writeTerminationMessage(path.join(dir, 'no/such/dir'), 'x')).toBe(
        false,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
