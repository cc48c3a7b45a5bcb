import { describeJobFailure, lastWords } from './recovery/JobRunner';
import { reasonOf, withoutStackFrames } from './upstream';

const CRASH = [
  '2026-12-07T23:30:01.000Z restore: reading the dump',
  '2026-12-07T23:30:02.000Z TypeError: Cannot read properties of undefined (reading "key")',
  '2026-12-07T23:30:02.000Z     at readManifest (/app/packages/backup-agent/src/manifest.ts:41:17)',
  '2026-12-07T23:30:02.000Z     at async main (/app/node_modules/x/index.js:3:5)',
  '2026-12-07T23:30:02.000Z     at node:internal/process/task_queues:95:5',
].join('\n');

describe('messages without stack traces', () => {
  it('drops the stack frames a library put into an error message', () => {
    const error = new Error(
      'request failed\n    at fetch (/app/node_modules/undici/index.js:12:3)\n    at async list (node:internal/x:1:2)',
    );
    expect(reasonOf(error)).toBe('request failed');
    expect(reasonOf('plain words')).toBe('plain words');
  });

  it('keeps words that only look a little like a frame', () => {
    const text =
      'Approval 7 expired at 2026-12-07T10:00:00Z (request a new one)';
    expect(withoutStackFrames(text)).toBe(text);
  });

  it("names a crashed Job's error, not its last stack frame", () => {
    const outcome = {
      job: 'restore-1',
      succeeded: false,
      exitCode: 1,
      logTail: CRASH,
      observedAt: 0,
    };
    expect(lastWords(outcome)).toBe(
      'TypeError: Cannot read properties of undefined (reading "key")',
    );
    expect(describeJobFailure(outcome)).not.toMatch(/\sat \S+ \(|node_modules/);
    expect(
      lastWords({
        ...outcome,
        logTail: undefined,
        message: 'Error: boom\n    at main (/app/cli.js:1:1)',
      }),
    ).toBe('Error: boom');
  });
});
