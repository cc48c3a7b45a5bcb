import {
  checkBucketName,
  checkClusterName,
  checkDatabaseName,
  checkDnsLabel,
  checkDnsSubdomain,
  checkKeyPrefix,
} from './names';

describe('checkDnsLabel', () => {
  it.each(['qawave', 'a', 'team-1', '0abc', 'a'.repeat(63)])(
    'accepts %p',
    value => {
      expect(checkDnsLabel(value)).toBeUndefined();
    },
  );
  it.each([
    'Qawave',
    '-a',
    'a-',
    'a.b',
    'a_b',
    '',
    'a'.repeat(64),
    'ns/other',
    '../x',
  ])('rejects %p', value => {
    expect(checkDnsLabel(value)).toEqual(expect.stringContaining(`"${value}"`));
  });
});

describe('checkDnsSubdomain', () => {
  it.each(['postgresql-backup', 'a.b-c.d', 'x'.repeat(52)])(
    'accepts %p',
    value => {
      expect(checkDnsSubdomain(value, 52)).toBeUndefined();
    },
  );
  it.each(['a..b', '.a', 'UPPER', 'x'.repeat(53), 'a b', 'a;rm -rf'])(
    'rejects %p',
    value => {
      expect(checkDnsSubdomain(value, 52)).toEqual(
        expect.stringContaining(`"${value}"`),
      );
    },
  );
});

describe('checkBucketName', () => {
  it.each(['qawave-backups', 'abc', 'my.bucket.name', 'a'.repeat(63)])(
    'accepts %p',
    value => {
      expect(checkBucketName(value)).toBeUndefined();
    },
  );
  it.each([
    ['ab', /2 characters long/],
    ['a'.repeat(64), /64 characters long/],
    ['Qawave', /characters S3 does not allow/],
    ['my_bucket', /characters S3 does not allow/],
    ['-abc', /characters S3 does not allow/],
    ['abc-', /characters S3 does not allow/],
    ['a..b', /adjacent/],
    ['a.-b', /adjacent/],
    ['192.168.1.1', /IP address/],
    ['xn--abc', /reserved prefix "xn--"/],
    ['sthree-abc', /reserved prefix/],
    ['abc-s3alias', /reserved suffix "-s3alias"/],
    ['abc--ol-s3', /reserved suffix/],
  ])('rejects %p', (value, message) => {
    expect(checkBucketName(value)).toMatch(message);
  });
});

describe('checkKeyPrefix', () => {
  it.each(['', 'postgresql/daily/', 'a/', "x!_.*'()-/y/"])(
    'accepts %p',
    value => {
      expect(checkKeyPrefix(value)).toBeUndefined();
    },
  );
  it.each([
    [
      'postgresql/daily',
      /must end with "\/".*did you mean "postgresql\/daily\/"/,
    ],
    ['/postgresql/', /empty, "." or ".." segment/],
    ['a//b/', /empty, "." or ".." segment/],
    ['a/../b/', /empty, "." or ".." segment/],
    ['./', /empty, "." or ".." segment/],
    ['a b/', /safe set in "a b"/],
    ['a$(id)/', /safe set/],
    ['ü/', /safe set/],
    ['a%2F/', /safe set/],
    [`${'a'.repeat(600)}/`, /at most 512/],
  ])('rejects %p', (value, message) => {
    expect(checkKeyPrefix(value)).toMatch(message);
  });
});

describe('checkDatabaseName', () => {
  it.each(['qawave', '_x', 'orders-db', 'A1_b', 'a'.repeat(63)])(
    'accepts %p',
    value => {
      expect(checkDatabaseName(value)).toBeUndefined();
    },
  );
  it.each(['1abc', '', 'a b', 'a;drop', "a'b", 'a'.repeat(64), 'a.b'])(
    'rejects %p',
    value => {
      expect(checkDatabaseName(value)).toEqual(
        expect.stringContaining(`"${value}"`),
      );
    },
  );
});

describe('checkClusterName', () => {
  it.each(['sandbox', 'prod-eu.1', 'Cluster_A'])('accepts %p', value => {
    expect(checkClusterName(value)).toBeUndefined();
  });
  it.each(['', '-a', 'a/b', 'a b', 'x'.repeat(64)])('rejects %p', value => {
    expect(checkClusterName(value)).toBeDefined();
  });
});
