import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { Knex } from 'knex';

const MIGRATIONS_DIR = resolvePackagePath(
  '@pg-backup/backstage-plugin-pg-backup-backend',
  'migrations',
);

/** Connects to the plugin's database and applies its migrations unless the deployment skips them. */
export async function migrateDatabase(
  database: DatabaseService,
): Promise<Knex> {
  const knex = await database.getClient();
  if (!database.migrations?.skip) {
    await knex.migrate.latest({ directory: MIGRATIONS_DIR });
  }
  return knex;
}
