import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const PACKAGE_DIR = path.resolve(__dirname, '..');

jest.setTimeout(60_000);

describe('scripts/build-cli.js', () => {
  it('bundles a dist/cli.js that runs on its own, without node_modules', async () => {
    await run(process.execPath, ['scripts/build-cli.js'], { cwd: PACKAGE_DIR });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-bundle-'));
    try {
      // a directory with no node_modules anywhere above it
      const cli = path.join(dir, 'cli.js');
      fs.copyFileSync(path.join(PACKAGE_DIR, 'dist', 'cli.js'), cli);
      const env = {
        PATH: process.env.PATH,
        TERMINATION_MESSAGE_PATH: path.join(dir, 'termination-log'),
      };
      const usage = await run(process.execPath, [cli], { cwd: dir, env }).catch(
        e => e,
      );
      expect(usage.code).toBe(2);
      expect(usage.stderr).toContain(
        'no command given; usage: backup-agent <backup | checkpoint | restore | verify>',
      );
      // the configuration and the S3/PostgreSQL code are in the bundle too
      const verify = await run(process.execPath, [cli, 'verify'], {
        cwd: dir,
        env,
      }).catch(e => e);
      expect(verify.code).toBe(2);
      expect(verify.stderr).toContain('S3_BUCKET');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
