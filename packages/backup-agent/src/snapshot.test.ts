import { Client } from 'pg';
import {
  PG,
  createSmallDatabase,
  dropDatabases,
  sql,
  uniqueDatabaseName,
} from './__testUtils__/testEnvironment';
import { exportSnapshot, readDatabaseFacts, releaseSnapshot } from './snapshot';

describe('snapshot', () => {
  const database = uniqueDatabaseName('snapshot');
  let client: Client;

  beforeAll(async () => {
    await createSmallDatabase(database);
    client = new Client({ ...PG, database });
    await client.connect();
  });

  afterAll(async () => {
    await client?.end();
    await dropDatabases([database]);
  });

  it('reads tables of all schemas, exact counts and the latest successful Flyway version', async () => {
    const facts = await readDatabaseFacts(client);
    expect(facts.tables).toEqual([
      'billing.invoices',
      'public.customers',
      'public.flyway_schema_history',
    ]);
    expect(facts.rowCounts).toEqual({
      'billing.invoices': 1000,
      'public.customers': 250,
      'public.flyway_schema_history': 3,
    });
    expect(facts.flywayVersion).toBe('2');
    expect(facts.serverVersion).toMatch(/^\d+\.\d+/);
  });

  it('counts in the exported snapshot, unaffected by later writes', async () => {
    const { snapshotId, facts } = await exportSnapshot(client);
    try {
      expect(snapshotId).toMatch(/^[0-9A-F]+-[0-9A-F]+-\d+$/);
      await sql('INSERT INTO customers VALUES (9999, $$late$$)', database);
      const again = await readDatabaseFacts(client);
      expect(again.rowCounts['public.customers']).toBe(
        facts.rowCounts['public.customers'],
      );
    } finally {
      await releaseSnapshot(client);
    }
    const after = await readDatabaseFacts(client);
    expect(after.rowCounts['public.customers']).toBe(251);
  });

  it('reports no Flyway version without the history table', async () => {
    const other = new Client({ ...PG, database: 'postgres' });
    await other.connect();
    try {
      expect((await readDatabaseFacts(other)).flywayVersion).toBeNull();
    } finally {
      await other.end();
    }
  });
});
