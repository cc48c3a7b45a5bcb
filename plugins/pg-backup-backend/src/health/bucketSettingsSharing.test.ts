import { S3Client } from '@aws-sdk/client-s3';
import {
  BackupTarget,
  DEFAULT_BACKUP_OBJECTIVES,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import { S3Sandbox, seedBucket } from '@internal/sandbox';
import { KubernetesGateways } from '../kubernetes/KubernetesGateways';
import { RecoveryRecordStore } from '../database/RecoveryRecordStore';
import { BackupStorage } from '../storage/BackupStorage';
import { BackupFactsReader } from './BackupFactsReader';

jest.setTimeout(60_000);

const BUCKET = 'shared-by-many-databases';

describe('bucket settings of databases sharing a bucket, read from S3 (moto)', () => {
  let s3: S3Sandbox;
  let client: S3Client;
  let storage: BackupStorage;
  let reader: BackupFactsReader;

  beforeAll(async () => {
    s3 = await S3Sandbox.start();
    client = new S3Client(s3.clientConfig());
    await seedBucket(client, {
      bucket: BUCKET,
      encryption: 'AES256',
      versioning: true,
      // only the first database's prefix expires
      lifecycleExpirationDays: [{ prefix: 'pg/db-1/', days: 30 }],
    });
    storage = new BackupStorage(
      { client, endpoint: 'https://s3.example.test' },
      10_000,
    );
    // bucket settings need neither the cluster nor the records
    reader = new BackupFactsReader(
      {} as KubernetesGateways,
      storage,
      {} as RecoveryRecordStore,
      { bucketSettingsTtlMs: 60_000, credentialsSecretName: 'unused' },
    );
  });

  afterAll(async () => {
    client?.destroy();
    await s3?.stop();
  });

  const target = (db: number): BackupTarget => ({
    entityRef: `resource:default/db-${db}`,
    namespace: 'bench',
    database: 'bench',
    backupCronJob: `db-${db}-backup`,
    deployments: [],
    storage: { bucket: BUCKET, prefix: `pg/db-${db}/` },
    objectives: DEFAULT_BACKUP_OBJECTIVES,
  });

  it('reads the bucket once for every prefix in it, and applies the rules per prefix', async () => {
    const now = new Date();
    const before = storage.counter.calls;
    const settings = await Promise.all(
      [1, 2, 3, 4].map(db => reader.readBucketSettings(target(db), now)),
    );
    // lifecycle, encryption, versioning, logging: once, not once per database
    expect(storage.counter.calls - before).toBe(4);
    expect(settings.map(s => s.facts.expirationDays)).toEqual([
      30,
      undefined,
      undefined,
      undefined,
    ]);
    expect(settings.map(s => s.rules[0].coversBackups)).toEqual([
      true,
      false,
      false,
      false,
    ]);
    expect(new Set(settings.map(s => s.facts.defaultEncryption))).toEqual(
      new Set(['AES256']),
    );
    expect(new Set(settings.map(s => s.versioning))).toEqual(
      new Set(['Enabled']),
    );

    // after the time to live, the next database's read asks the bucket again
    await reader.readBucketSettings(
      target(5),
      new Date(now.getTime() + 60_000),
    );
    expect(storage.counter.calls - before).toBe(8);
  });
});
