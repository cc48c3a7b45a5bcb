import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  leakedSecrets,
  registerTestSecrets,
} from '../__testUtils__/testSecrets';

const SCRIPT = path.resolve(__dirname, '../../../../scripts/scan-secrets.js');

async function scan(...args: string[]) {
  try {
    const { stdout } = await promisify(execFile)('node', [SCRIPT, ...args]);
    return { code: 0, stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string };
    return { code: e.code, stdout: e.stdout };
  }
}

describe('scripts/scan-secrets.js', () => {
  let dir: string;
  const saved = process.env.PG_BACKUP_SECRETS_FILE;
  const token = `sandbox-admin-${'x7'.repeat(12)}`;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scan-secrets-'));
    process.env.PG_BACKUP_SECRETS_FILE = path.join(dir, 'secrets.tsv');
  });

  afterEach(() => {
    if (saved === undefined) delete process.env.PG_BACKUP_SECRETS_FILE;
    else process.env.PG_BACKUP_SECRETS_FILE = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('names the file and line of a leak, never the value', async () => {
    registerTestSecrets({ 'sandbox-admin-token': token, short: 'abc' });
    const logs = path.join(dir, 'logs');
    fs.mkdirSync(logs);
    fs.writeFileSync(path.join(logs, 'clean.log'), 'nothing here\n');
    fs.writeFileSync(
      path.join(logs, 'jest.log'),
      `line one\nAuthorization: Bearer ${token}\n`,
    );
    const result = await scan(process.env.PG_BACKUP_SECRETS_FILE!, logs);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      `${path.join(logs, 'jest.log')}:2: sandbox-admin-token`,
    );
    expect(result.stdout).not.toContain(token);
    expect(result.stdout).toContain('scanned 2 files for 1 secret values');
  });

  it('passes clean logs and skips the secrets file itself', async () => {
    registerTestSecrets({ 'sandbox-admin-token': token });
    fs.writeFileSync(path.join(dir, 'jest.log'), 'all good\n');
    const result = await scan(process.env.PG_BACKUP_SECRETS_FILE!, dir);
    expect(result).toEqual({
      code: 0,
      stdout: expect.stringContaining('scanned 1 files for 1 secret values'),
    });
  });

  it('fails when no test world registered a secret', async () => {
    fs.writeFileSync(process.env.PG_BACKUP_SECRETS_FILE!, '');
    const result = await scan(process.env.PG_BACKUP_SECRETS_FILE!, dir);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('no secret registered');
  });

  it('finds the labels of secrets in a response, not their values', () => {
    expect(
      leakedSecrets(`{"token":"${token}"}`, {
        admin: token,
        other: 'z'.repeat(9),
      }),
    ).toEqual(['admin']);
  });
});
