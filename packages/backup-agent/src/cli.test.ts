import { AgentIo, runAgent } from './cli';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  let handler: ((signal: NodeJS.Signals) => void) | undefined;
  const agentIo: AgentIo = {
    stdout: { write: t => out.push(t) },
    stderr: { write: t => err.push(t) },
    onSignal: h => {
      handler = h;
      return () => {
        handler = undefined;
      };
    },
  };
  return { agentIo, out, err, signal: (s: NodeJS.Signals) => handler?.(s) };
}

describe('runAgent', () => {
  it('refuses a missing or unknown command with the usage', async () => {
    const none = io();
    expect(await runAgent([], {}, none.agentIo)).toBe(2);
    expect(none.err.join('')).toContain(
      'no command given; usage: backup-agent <backup | checkpoint | restore | verify>',
    );
    const unknown = io();
    expect(await runAgent(['backpu'], {}, unknown.agentIo)).toBe(2);
    expect(unknown.err.join('')).toContain('unknown command "backpu"');
  });

  it('prints help for --help and <command> --help, and runs nothing', async () => {
    const all = io();
    expect(await runAgent(['--help'], {}, all.agentIo)).toBe(0);
    expect(all.out.join('')).toMatch(/^Usage: pg-backup-agent <command>\n/);
    for (const command of ['backup', 'checkpoint', 'restore', 'verify'])
      expect(all.out.join('')).toMatch(new RegExp(`^  ${command}  +\\S`, 'm'));
    const one = io();
    // No variables set: a real run would refuse with exit code 2.
    expect(await runAgent(['restore', '--help'], {}, one.agentIo)).toBe(0);
    expect(one.out.join('')).toContain('Usage: pg-backup-agent restore\n');
    expect(one.err).toEqual([]);
    const extra = io();
    expect(await runAgent(['restore', '--help', 'x'], {}, extra.agentIo)).toBe(
      2,
    );
  });

  it('refuses missing variables, naming them, and releases the signal handler', async () => {
    const run = io();
    expect(
      await runAgent(
        ['verify'],
        { TERMINATION_MESSAGE_PATH: '/nonexistent/x' },
        run.agentIo,
      ),
    ).toBe(2);
    expect(run.err).toEqual([
      'error: missing environment variables S3_BUCKET, S3_PREFIX, BACKUP_FILE, PGDATABASE or TARGET_DATABASE (needed by "verify")\n',
    ]);
    expect(run.out).toEqual([]);
  });

  it('redacts secrets from its error lines', async () => {
    const run = io();
    const code = await runAgent(
      ['backup'],
      {
        PGDATABASE: 'qawave',
        S3_BUCKET: 'qawave-backups',
        S3_PREFIX: 'postgresql/daily/',
        PGPASSWORD: 'pw-1234',
        PGPORT: 'pw-1234',
        TERMINATION_MESSAGE_PATH: '/nonexistent/x',
      },
      run.agentIo,
    );
    expect(code).toBe(2);
    expect(run.err.join('')).toBe(
      'error: PGPORT "***" is not a port number (1-65535)\n',
    );
  });
});
