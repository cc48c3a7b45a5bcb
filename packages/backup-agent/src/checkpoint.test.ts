import { Client } from 'pg';
import type { AgentLog } from './AgentLog';
import { PG } from './__testUtils__/testEnvironment';
import { requestCheckpoint } from './checkpoint';

function recordingLog() {
  const lines: string[] = [];
  const log: AgentLog = {
    info: l => lines.push(`info ${l}`),
    warn: l => lines.push(`warn ${l}`),
    error: l => lines.push(`error ${l}`),
  };
  return { lines, log };
}

describe('requestCheckpoint', () => {
  it('checkpoints and switches WAL as a privileged user, returning the LSN', async () => {
    const client = new Client({ ...PG, database: 'postgres' });
    await client.connect();
    try {
      const { lines, log } = recordingLog();
      const lsn = await requestCheckpoint(client, log);
      expect(lsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
      expect(lines).toEqual([
        'info checkpoint: CHECKPOINT done',
        `info checkpoint: switched WAL at LSN ${lsn}`,
      ]);
    } finally {
      await client.end();
    }
  });

  it('warns and continues when the user lacks the privileges', async () => {
    const denied = Object.assign(
      new Error('permission denied for function pg_switch_wal'),
      {
        code: '42501',
      },
    );
    const client = {
      query: jest.fn().mockRejectedValue(denied),
    } as unknown as Client;
    const { lines, log } = recordingLog();
    await expect(requestCheckpoint(client, log)).resolves.toBeUndefined();
    expect(lines).toHaveLength(2);
    expect(lines.every(l => l.startsWith('warn checkpoint:'))).toBe(true);
    expect(lines[1]).toContain('continuing with the dump');
  });

  it('fails on other errors', async () => {
    const client = {
      query: jest
        .fn()
        .mockRejectedValue(Object.assign(new Error('boom'), { code: 'XX000' })),
    } as unknown as Client;
    await expect(requestCheckpoint(client, recordingLog().log)).rejects.toThrow(
      'boom',
    );
  });
});
