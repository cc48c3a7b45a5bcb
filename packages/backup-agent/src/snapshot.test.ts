import { Client } from 'pg';
import {
  PG,
  createSmallDatabase,
  dropDatabases,
  sql,
  uniqueDatabaseName,
} from './__testUtils__/testEnvironment';
import {
  beginExportedSnapshot,
  exportSnapshot,
  readDatabaseFacts,
  readFactsInSnapshot,
  releaseSnapshot,
} from './snapshot';

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

  it('reads the facts on a second connection that imports the exported snapshot', async () => {
    const before = await readDatabaseFacts(client);
    const snapshotId = await beginExportedSnapshot(client);
    const second = new Client({ ...PG, database });
    await second.connect();
    try {
      // written after the export, before the second connection imports the snapshot
      await sql('INSERT INTO customers VALUES (10001, $$later$$)', database);
      const facts = await readFactsInSnapshot(second, snapshotId);
      expect(facts.rowCounts['public.customers']).toBe(
        before.rowCounts['public.customers'],
      );
      expect(facts.tables).toEqual(before.tables);
      expect(facts.flywayVersion).toBe(before.flywayVersion);
    } finally {
      await releaseSnapshot(client);
      await second.end();
    }
    expect(
      (await readDatabaseFacts(client)).rowCounts['public.customers'],
    ).toBe(before.rowCounts['public.customers'] + 1);
  });

  it('fails on a snapshot that is not exported, leaving the connection usable', async () => {
    await expect(
      readFactsInSnapshot(client, '00000000-00000000-1'),
    ).rejects.toThrow(/snapshot/i);
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
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
