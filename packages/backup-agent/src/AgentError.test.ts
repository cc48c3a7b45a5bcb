import {
  AgentError,
  ExitCode,
  failed,
  firstLine,
  refused,
  toAgentError,
} from './AgentError';

describe('AgentError', () => {
  it('carries the exit code of failures and refusals', () => {
    expect(failed('x').exitCode).toBe(ExitCode.Failed);
    expect(refused('x').exitCode).toBe(ExitCode.Refused);
  });

  it('explains a full disk with the variable that moves the work elsewhere', () => {
    const error = toAgentError(
      Object.assign(new Error('write failed'), { code: 'ENOSPC' }),
      'downloading',
    );
    expect(error.exitCode).toBe(1);
    expect(error.message).toBe(
      'downloading: no space left on device (ENOSPC); free space or point RESTORE_WORK_DIR at a larger volume',
    );
  });

  it('passes AgentErrors through and reduces others to their first line', () => {
    const original = refused('bad');
    expect(toAgentError(original, 'x')).toBe(original);
    const wrapped = toAgentError(new Error('first\nsecond'), 'verify');
    expect(wrapped).toBeInstanceOf(AgentError);
    expect(wrapped.message).toBe('verify: first');
    expect(firstLine('plain')).toBe('plain');
  });
});
