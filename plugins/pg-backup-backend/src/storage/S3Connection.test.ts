import { ConfigReader } from '@backstage/config';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { MissingS3CredentialsError, createS3Connection } from './S3Connection';

describe('createS3Connection', () => {
  const saved = { ...process.env };
  beforeEach(() => {
    // No credential anywhere the AWS SDK looks: environment, profile files, instance metadata.
    for (const key of Object.keys(process.env))
      if (key.startsWith('AWS_')) delete process.env[key];
    process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/credentials';
    process.env.AWS_CONFIG_FILE = '/nonexistent/config';
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  it('names integrations.awsS3 when no S3 credential can be found', async () => {
    const { client } = createS3Connection(
      new ConfigReader({
        integrations: {
          awsS3: [
            { host: 's3.example.test', endpoint: 'http://s3.example.test' },
          ],
        },
      }),
      1_000,
    );
    // A request fails before it is sent, with the same error (health shows its message).
    await expect(
      client.send(new ListObjectsV2Command({ Bucket: 'qawave-backups' })),
    ).rejects.toBeInstanceOf(MissingS3CredentialsError);
    await expect(client.config.credentials()).rejects.toThrow(
      /no S3 credentials for pg-backup: set accessKeyId and secretAccessKey, or roleArn, on an integrations\.awsS3 entry \(host s3\.example\.test\), or configure aws\.accounts/,
    );
  });

  it('uses the static keys of the integration', async () => {
    const { client, endpoint } = createS3Connection(
      new ConfigReader({
        integrations: {
          awsS3: [
            {
              host: 's3.example.test',
              endpoint: 'http://s3.example.test',
              accessKeyId: 'AKIDEXAMPLE',
              secretAccessKey: 'secret-example',
            },
          ],
        },
      }),
      1_000,
    );
    expect(endpoint).toBe('http://s3.example.test');
    await expect(client.config.credentials()).resolves.toMatchObject({
      accessKeyId: 'AKIDEXAMPLE',
    });
  });

  it('names the configured hosts when pgBackup.storage.integration matches none', () => {
    expect(() =>
      createS3Connection(
        new ConfigReader({
          integrations: {
            awsS3: [
              { host: 's3.example.test', endpoint: 'http://s3.example.test' },
            ],
          },
          pgBackup: { storage: { integration: 'minio.local' } },
        }),
        1_000,
      ),
    ).toThrow(
      /^pgBackup\.storage\.integration 'minio\.local' matches no integrations\.awsS3 host; configured: s3\.example\.test/,
    );
  });
});
