// The fleet benchmark's backup histories, as one rule: seeded into moto object by object, or
// answered from the rule by the generated S3 (bench/generatedS3Process.ts), the same keys,
// sizes, dates and manifests either way.
import { formatBackupKey } from '@pg-backup/backstage-plugin-pg-backup-common';
import type { GeneratedHistories, GeneratedObject } from '@internal/sandbox';

const DAY_MS = 86_400_000;
const KEY_TIME = /_(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})\.dump/;

export interface BenchLayout {
  databases: number;
  /** Daily backups (with manifests) per history. */
  history: number;
  buckets: number;
  /** Each database its own prefix and history; otherwise the databases of a bucket share one. */
  ownHistories: boolean;
  /** The newest backup's time (whole seconds). */
  newestMs: number;
}

export const bucketOf = (layout: BenchLayout, db: number) =>
  `bench-backups-${db % layout.buckets}`;

export const prefixOf = (layout: BenchLayout, db: number) =>
  layout.ownHistories ? `pg/db-${db}/` : 'pg/';

/** The dump and manifest of one day of a database's history (day 0 is the newest). */
function objectsOfDay(
  layout: BenchLayout,
  db: number,
  day: number,
): [GeneratedObject, GeneratedObject] {
  const at = new Date(layout.newestMs - day * DAY_MS);
  const key = formatBackupKey(prefixOf(layout, db), 'bench', at);
  const sizeBytes = 1000 + (((layout.ownHistories ? db : 0) + day) % 7);
  const lastModified = new Date(at.getTime() + 60_000);
  return [
    { key, body: 'x'.repeat(sizeBytes), lastModified },
    {
      key: `${key}.manifest.json`,
      body: JSON.stringify({
        formatVersion: 1,
        key,
        sha256: '0'.repeat(64),
        sizeBytes,
      }),
      lastModified,
    },
  ];
}

/** Every object of a database's history (of a bucket's, when histories are shared). */
export function historyOf(layout: BenchLayout, db: number): GeneratedObject[] {
  return Array.from({ length: layout.history }, (_, day) =>
    objectsOfDay(layout, db, day),
  ).flat();
}

/** The database whose history `keyOrPrefix` lies in, if any. */
function databaseOf(
  layout: BenchLayout,
  bucket: string,
  keyOrPrefix: string,
): number | undefined {
  if (!layout.ownHistories) {
    const db = Number(/^bench-backups-(\d+)$/.exec(bucket)?.[1]);
    return keyOrPrefix.startsWith('pg/') && db < layout.buckets
      ? db
      : undefined;
  }
  const db = Number(/^pg\/db-(\d+)\//.exec(keyOrPrefix)?.[1]);
  return db < layout.databases && bucketOf(layout, db) === bucket
    ? db
    : undefined;
}

/**
 * The rule as the generated S3 answers it: a listing generates days from the newest back only
 * until it passes `after`, so its cost is that of the window asked for, like S3's.
 */
export function generatedHistories(layout: BenchLayout): GeneratedHistories {
  return {
    list(bucket, prefix, after) {
      const db = databaseOf(layout, bucket, prefix);
      if (db === undefined) return undefined;
      const newestFirst: GeneratedObject[] = [];
      for (let day = 0; day < layout.history; day++) {
        const [dump, manifest] = objectsOfDay(layout, db, day);
        if (manifest.key <= after) break;
        newestFirst.push(manifest, dump);
      }
      return newestFirst.filter(o => o.key.startsWith(prefix)).reverse();
    },
    get(bucket, key) {
      const db = databaseOf(layout, bucket, key);
      const time = KEY_TIME.exec(key);
      if (db === undefined || !time) return undefined;
      const [, y, mo, d, h, mi, s] = time.map(Number);
      const at = Date.UTC(y, mo - 1, d, h, mi, s);
      const day = Math.round((layout.newestMs - at) / DAY_MS);
      if (day < 0 || day >= layout.history) return undefined;
      return objectsOfDay(layout, db, day).find(o => o.key === key);
    },
  };
}
