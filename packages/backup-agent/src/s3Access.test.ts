import type { S3Config } from './config';
import { createS3Client, describeS3Error, isNotFound } from './s3Access';

const s3: S3Config = {
  bucket: 'qawave-backups',
  prefix: 'postgresql/daily/',
  region: 'eu-west-1',
  sse: 'AES256',
};

const s3Error = (name: string, status = 400) =>
  Object.assign(new Error(name), {
    name,
    $metadata: { httpStatusCode: status },
  });

describe('describeS3Error', () => {
  it('turns a missing bucket into a refusal naming S3_BUCKET', () => {
    const error = describeS3Error(
      s3Error('NoSuchBucket', 404),
      s3,
      'uploading',
    );
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(
      'uploading: bucket "qawave-backups" does not exist (S3_BUCKET) in eu-west-1',
    );
  });

  it('turns AccessDenied into a failure naming the object and the permissions', () => {
    const error = describeS3Error(
      s3Error('AccessDenied', 403),
      s3,
      'uploading',
      'postgresql/daily/x.dump',
    );
    expect(error.exitCode).toBe(1);
    expect(error.message).toContain(
      'access denied to s3://qawave-backups/postgresql/daily/x.dump',
    );
  });

  it('names the credential variables, never their values', () => {
    const error = describeS3Error(
      s3Error('InvalidAccessKeyId', 403),
      s3,
      'listing',
    );
    expect(error.message).toContain(
      'check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
    );
  });
});

describe('isNotFound', () => {
  it('distinguishes a missing key from a missing bucket', () => {
    expect(isNotFound(s3Error('NoSuchKey', 404))).toBe(true);
    expect(isNotFound(s3Error('NoSuchBucket', 404))).toBe(false);
  });
});

describe('createS3Client', () => {
  it('uses path-style addressing with a custom endpoint', () => {
    const client = createS3Client({ ...s3, endpoint: 'http://127.0.0.1:9000' });
    expect(client.config.forcePathStyle).toBe(true);
    client.destroy();
  });
});
