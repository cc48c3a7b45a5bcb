import { createAgentLog, redactSecrets } from './AgentLog';

describe('AgentLog', () => {
  it('redacts every secret value from every line', () => {
    const out: string[] = [];
    const err: string[] = [];
    const log = createAgentLog(
      ['hunter22', 'AKIASECRETKEY'],
      { write: t => out.push(t) },
      { write: t => err.push(t) },
    );
    log.info('connecting with hunter22 and AKIASECRETKEY');
    log.error('failed: hunter22');
    expect(out).toEqual(['connecting with *** and ***\n']);
    expect(err).toEqual(['error: failed: ***\n']);
  });

  it('leaves very short values alone so ordinary words survive', () => {
    expect(redactSecrets('a b c', ['a'])).toBe('a b c');
  });
});
