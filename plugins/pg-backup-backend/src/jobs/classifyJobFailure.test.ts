import { classifyJobFailure } from './classifyJobFailure';

describe('classifyJobFailure', () => {
  it.each([
    [
      'backup: S3 rejected the credentials (InvalidAccessKeyId); check AWS_ACCESS_KEY_ID',
      's3-credentials',
    ],
    [
      'upload failed: ExpiredToken: The provided token has expired.',
      's3-credentials',
    ],
    [
      'backup: access denied to s3://qawave-backups/postgresql/daily/x.dump; the credentials need s3:PutObject',
      's3-access-denied',
    ],
    [
      'backup: bucket "qawave-backups-missing" does not exist (S3_BUCKET) at http://127.0.0.1:4566',
      's3-bucket-missing',
    ],
    ['NoSuchBucket: The specified bucket does not exist', 's3-bucket-missing'],
    ['restore: no space left on device (ENOSPC); free space', 'disk-full'],
    [
      'pg_dump: error: connection to server at "10.0.0.4", port 5432 failed: Connection refused',
      'network-unreachable',
    ],
    [
      'backup: cannot reach S3 at http://minio:9000 (ECONNREFUSED)',
      'network-unreachable',
    ],
    [
      'restore: database "qawave" is being accessed by other users',
      'database-in-use',
    ],
    [
      'pg_dump: error: query failed: ERROR:  permission denied for table orders',
      'database-privileges',
    ],
  ])('reads %j as %s', (message, kind) => {
    const failure = classifyJobFailure({
      exitCode: 1,
      terminationMessage: message,
    });
    expect(failure.kind).toBe(kind);
    expect(failure.evidence).toBe(message);
    expect(failure.hint.length).toBeGreaterThan(20);
  });

  it('treats exit code 137 and OOMKilled as out of memory before any text', () => {
    expect(
      classifyJobFailure({ exitCode: 137, logTail: 'ECONNREFUSED' }).kind,
    ).toBe('out-of-memory');
    expect(classifyJobFailure({ containerReason: 'OOMKilled' }).kind).toBe(
      'out-of-memory',
    );
  });

  it('reads a deadline from the Job condition', () => {
    const failure = classifyJobFailure({
      jobReason: 'DeadlineExceeded',
      jobMessage: 'Job was active longer than specified deadline',
    });
    expect(failure.kind).toBe('deadline-exceeded');
  });

  it('finds the cause in the log tail when there is no termination message, newest line first', () => {
    const failure = classifyJobFailure({
      exitCode: 1,
      logTail:
        'starting\nwarning: slow\npg_restore: error: could not extend file: No space left on device\n',
    });
    expect(failure.kind).toBe('disk-full');
    expect(failure.evidence).toContain('could not extend file');
  });

  it('says unknown with the last line when nothing matches', () => {
    const failure = classifyJobFailure({
      exitCode: 3,
      terminationMessage: 'something odd\nsegfault in libfoo',
    });
    expect(failure).toMatchObject({
      kind: 'unknown',
      evidence: 'segfault in libfoo',
    });
  });
});
