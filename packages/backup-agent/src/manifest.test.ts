import type { S3Client } from '@aws-sdk/client-s3';
import type { S3Config } from './config';
import {
  BackupManifest,
  manifestKeyFor,
  parseManifest,
  readManifest,
} from './manifest';

const key = 'postgresql/daily/qawave_20260130_020000.dump';
const valid: BackupManifest = {
  formatVersion: 1,
  kind: 'backup',
  database: 'qawave',
  serverVersion: '15.20',
  key,
  startedAt: '2026-01-30T02:00:00.000Z',
  finishedAt: '2026-01-30T02:00:05.000Z',
  durationMs: 5000,
  sizeBytes: 1234,
  sha256: 'a'.repeat(64),
  encryption: { serverSide: 'AES256' },
  tableCount: 1,
  rowCounts: { 'public.a': 3 },
  flywayVersion: null,
  snapshot: '00000003-00000002-1',
};
const s3: S3Config = {
  bucket: 'b-b-b',
  prefix: 'postgresql/daily/',
  region: 'us-east-1',
  sse: 'AES256',
};

describe('manifest', () => {
  it('sits beside the dump', () => {
    expect(manifestKeyFor(key)).toBe(`${key}.manifest.json`);
  });

  it('parses a valid manifest', () => {
    expect(parseManifest(JSON.stringify(valid), key)).toEqual(valid);
  });

  it('refuses a manifest of another key, with a bad checksum or not JSON', () => {
    expect(() =>
      parseManifest(JSON.stringify(valid), 'postgresql/daily/other.dump'),
    ).toThrow(`key "${key}" (expected "postgresql/daily/other.dump")`);
    expect(() =>
      parseManifest(JSON.stringify({ ...valid, sha256: 'x' }), key),
    ).toThrow('sha256 is not 64 hex digits');
    expect(() => parseManifest('{', key)).toThrow('is not valid JSON');
  });

  it('calls a dump without manifest not a complete backup', async () => {
    const missing = Object.assign(new Error('NoSuchKey'), {
      name: 'NoSuchKey',
    });
    const client = {
      send: jest.fn().mockRejectedValue(missing),
    } as unknown as S3Client;
    await expect(readManifest(client, s3, key)).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining(
        `s3://b-b-b/${key} is not a complete backup`,
      ),
    });
  });
});
