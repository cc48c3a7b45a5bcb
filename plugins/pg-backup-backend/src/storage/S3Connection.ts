import { S3Client } from '@aws-sdk/client-s3';
import { Config } from '@backstage/config';
import { CustomErrorBase } from '@backstage/errors';
import {
  AwsS3IntegrationConfig,
  readAwsS3IntegrationConfigs,
} from '@backstage/integration';
import { DefaultAwsCredentialsManager } from '@backstage/integration-aws-node';
import { PgBackupConfigError } from '../PgBackupConfig';

/** Where and how pg-backup reaches S3: an `integrations.awsS3` entry, never credentials of its own. */
export interface S3Connection {
  /** The client, with credentials from the integration or `aws.accounts`. */
  client: S3Client;
  /** The endpoint shown to users and checked for plain HTTP (never carries credentials). */
  endpoint: string;
}

/** No credential could be found for S3; the message names the settings to fix. */
export class MissingS3CredentialsError extends CustomErrorBase {
  name = 'MissingS3CredentialsError' as const;
}

/**
 * Builds the S3 client from `integrations.awsS3` (endpoint, path style, static keys or a role to
 * assume through `aws.accounts`). `pgBackup.storage.integration` picks an entry by host when
 * several are configured; otherwise the first one is used.
 */
export function createS3Connection(
  config: Config,
  timeoutMs: number,
): S3Connection {
  const integrations = readAwsS3IntegrationConfigs(
    config.getOptionalConfigArray('integrations.awsS3') ?? [],
  );
  const wanted = config.getOptionalString('pgBackup.storage.integration');
  let integration: AwsS3IntegrationConfig | undefined = integrations[0];
  if (wanted) {
    integration = integrations.find(i => i.host === wanted);
    if (!integration)
      throw new PgBackupConfigError(
        `pgBackup.storage.integration '${wanted}' matches no integrations.awsS3 host; configured: ${
          integrations.map(i => i.host).join(', ') || '(none)'
        }`,
      );
  }
  const region =
    config.getOptionalString('pgBackup.storage.region') ?? 'us-east-1';
  const credentialsManager = DefaultAwsCredentialsManager.fromConfig(config);
  const credentials =
    integration?.accessKeyId && integration.secretAccessKey
      ? {
          accessKeyId: integration.accessKeyId,
          secretAccessKey: integration.secretAccessKey,
        }
      : async () => {
          try {
            const provider = await credentialsManager.getCredentialProvider(
              integration?.roleArn ? { arn: integration.roleArn } : {},
            );
            return await provider.sdkCredentialProvider();
          } catch (error) {
            throw new MissingS3CredentialsError(
              `no S3 credentials for pg-backup: set accessKeyId and secretAccessKey, or roleArn, on an integrations.awsS3 entry${
                integration ? ` (host ${integration.host})` : ''
              }, or configure aws.accounts`,
              error,
            );
          }
        };
  const client = new S3Client({
    region,
    endpoint: integration?.endpoint,
    forcePathStyle: integration?.s3ForcePathStyle ?? false,
    credentials,
    maxAttempts: 2,
    requestHandler: {
      requestTimeout: timeoutMs,
      connectionTimeout: Math.min(timeoutMs, 3000),
    },
  });
  return {
    client,
    endpoint: integration?.endpoint ?? `https://s3.${region}.amazonaws.com`,
  };
}
