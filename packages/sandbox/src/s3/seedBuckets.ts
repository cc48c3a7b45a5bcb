import {
  CreateBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketLoggingCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { setObjectLastModified } from './S3Sandbox';

/** One object to put into a seeded bucket. */
export interface ObjectSeed {
  /** Object key. */
  key: string;
  /** Object content. */
  body: string | Uint8Array;
  /** Back-dated LastModified (whole seconds; S3 drops milliseconds); needs a server started by S3Sandbox. */
  lastModified?: Date;
  /** User metadata (x-amz-meta-*). */
  metadata?: Record<string, string>;
}

/** Desired state of a sandbox bucket. */
export interface BucketSeed {
  /** Bucket name. */
  bucket: string;
  /** Expiration lifecycle rules, one per prefix. */
  lifecycleExpirationDays?: { prefix: string; days: number }[];
  /** Default server-side encryption. */
  encryption?: 'AES256' | 'aws:kms';
  /** Enables versioning when true, suspends it when false. */
  versioning?: boolean;
  /**
   * Server access logging into `targetBucket` under `targetPrefix`: the target bucket is
   * created, with a policy that lets the logging service write there, as AWS requires.
   */
  accessLogging?: { targetBucket: string; targetPrefix: string };
  /** Objects to put. */
  objects?: ObjectSeed[];
}

async function resolveEndpoint(client: S3Client): Promise<string> {
  const endpoint = client.config.endpoint;
  if (!endpoint) {
    throw new Error(
      'seedBucket: back-dating objects needs a client with an explicit endpoint (S3Sandbox.clientConfig())',
    );
  }
  const ep = await endpoint();
  const port = ep.port ? `:${ep.port}` : '';
  return `${ep.protocol}//${ep.hostname}${port}${ep.path.replace(/\/$/, '')}`;
}

async function createBucket(client: S3Client, bucket: string): Promise<void> {
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (e) {
    const name = (e as { name?: string }).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') {
      throw e;
    }
  }
}

/**
 * Creates a bucket (idempotently) and applies lifecycle, encryption, versioning, access logging
 * and objects from the spec.
 */
export async function seedBucket(
  client: S3Client,
  spec: BucketSeed,
): Promise<void> {
  await createBucket(client, spec.bucket);

  if (spec.accessLogging) {
    const { targetBucket, targetPrefix } = spec.accessLogging;
    await createBucket(client, targetBucket);
    await client.send(
      new PutBucketPolicyCommand({
        Bucket: targetBucket,
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'S3ServerAccessLogsPolicy',
              Effect: 'Allow',
              Principal: { Service: 'logging.s3.amazonaws.com' },
              Action: ['s3:PutObject'],
              Resource: `arn:aws:s3:::${targetBucket}/${targetPrefix}*`,
            },
          ],
        }),
      }),
    );
    await client.send(
      new PutBucketLoggingCommand({
        Bucket: spec.bucket,
        BucketLoggingStatus: {
          LoggingEnabled: {
            TargetBucket: targetBucket,
            TargetPrefix: targetPrefix,
          },
        },
      }),
    );
  }

  if (spec.versioning !== undefined) {
    await client.send(
      new PutBucketVersioningCommand({
        Bucket: spec.bucket,
        VersioningConfiguration: {
          Status: spec.versioning ? 'Enabled' : 'Suspended',
        },
      }),
    );
  }

  if (spec.encryption) {
    await client.send(
      new PutBucketEncryptionCommand({
        Bucket: spec.bucket,
        ServerSideEncryptionConfiguration: {
          Rules: [
            {
              ApplyServerSideEncryptionByDefault: {
                SSEAlgorithm: spec.encryption,
              },
            },
          ],
        },
      }),
    );
  }

  if (spec.lifecycleExpirationDays?.length) {
    await client.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: spec.bucket,
        LifecycleConfiguration: {
          Rules: spec.lifecycleExpirationDays.map(rule => ({
            ID: `expire-${rule.prefix || 'all'}-${rule.days}d`,
            Status: 'Enabled',
            Filter: { Prefix: rule.prefix },
            Expiration: { Days: rule.days },
          })),
        },
      }),
    );
  }

  let endpoint: string | undefined;
  for (const object of spec.objects ?? []) {
    const put = await client.send(
      new PutObjectCommand({
        Bucket: spec.bucket,
        Key: object.key,
        Body: object.body,
        Metadata: object.metadata,
      }),
    );
    if (object.lastModified) {
      endpoint ??= await resolveEndpoint(client);
      await setObjectLastModified(endpoint, {
        bucket: spec.bucket,
        key: object.key,
        lastModified: object.lastModified,
        versionId: put.VersionId,
      });
    }
  }
}
