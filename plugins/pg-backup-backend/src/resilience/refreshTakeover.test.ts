import { FaultProxy } from '@internal/sandbox';
import {
  BackendProcess,
  databasePrefix,
  dropDatabases,
  withPostgres,
} from '../__testUtils__/backendProcess';
import { RecoveryWorld } from '../__testUtils__/recoveryWorld';
import { USERS } from '../__testUtils__/testWorld';

// Two backend replicas (own OS processes, one PostgreSQL plugin database), each reaching S3
// through its own proxy, so the replica running a refresh is the one whose proxy sees its
// listings. Both run outside NODE_ENV=test, where Backstage's scheduler runs its janitor (every
// minute, on every replica), which frees a task whose run outlived its timeout.
const REFRESH_INTERVAL_MS = 4_000;
/** How long each S3 listing takes while a refresh is to be caught in the middle. */
const SLOW_LIST_MS = 3_000;
/** The scheduler's janitor runs every minute; its task worker looks for due work every few seconds. */
const JANITOR_PERIOD_MS = 60_000;
const TAKEOVER_LIMIT_MS = 2 * REFRESH_INTERVAL_MS + JANITOR_PERIOD_MS + 15_000;

const SHOP = '/api/pg-backup/entities/resource/default/shop-postgresql';
const REFRESHED = /pg-backup: refreshed health of \d+ databases/;
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

jest.setTimeout(240_000);

describe('a replica killed in the middle of a fleet refresh', () => {
  let world: RecoveryWorld;
  const proxies: FaultProxy[] = [];
  let replicas: BackendProcess[] = [];
  const prefix = databasePrefix('takeover');

  beforeAll(async () => {
    world = await RecoveryWorld.start();
    for (let i = 0; i < 2; i++) {
      const proxy = await FaultProxy.start({
        target: world.s3.endpoint,
        flavor: 's3',
      });
      proxies.push(proxy);
      const config = withPostgres(
        world.config({
          refreshInterval: { milliseconds: REFRESH_INTERVAL_MS },
          refreshInitialDelay: { milliseconds: 500 },
        }),
        prefix,
      ) as any;
      const s3Integration = config.integrations.awsS3[0];
      s3Integration.endpoint = proxy.url;
      s3Integration.host = new URL(proxy.url).host;
      // One after the other, as a rolling deployment starts them (the first migrates).
      const replica = await BackendProcess.start(config, {
        nodeEnv: 'development',
      });
      replicas.push(replica);
      await replica.untilServed(`${SHOP}/health`, USERS.owner);
    }
  });

  afterAll(async () => {
    await Promise.all(replicas.map(r => r.stop()));
    replicas = [];
    await Promise.all(proxies.map(p => p.stop()));
    await dropDatabases(prefix);
    await world?.stop();
  });

  it('holds the refresh for about one interval only: the other replica refreshes next', async () => {
    // Every listing is slow now, so a refresh lasts seconds and can be caught running.
    for (const proxy of proxies) {
      proxy.clearLog();
      proxy.setRules([
        {
          method: 'GET',
          query: /list-type=2/,
          fault: { kind: 'latency', ms: SLOW_LIST_MS },
        },
      ]);
    }
    const listing = (proxy: FaultProxy) =>
      proxy.log.some(r => r.fault === 'latency');
    const until = Date.now() + 4 * REFRESH_INTERVAL_MS + 30_000;
    let holder = -1;
    while (holder < 0 && Date.now() < until) {
      holder = proxies.findIndex(listing);
      if (holder < 0) await sleep(20);
    }
    expect(holder).toBeGreaterThanOrEqual(0);
    const survivor = 1 - holder;
    const seen = replicas[survivor].lines.length;
    // Killed while its refresh waits for S3: it never releases the task.
    await replicas[holder].kill();
    const killedAt = Date.now();
    for (const proxy of proxies) proxy.setRules([]);

    let tookMs: number | undefined;
    while (Date.now() - killedAt < TAKEOVER_LIMIT_MS) {
      if (replicas[survivor].lines.slice(seen).some(l => REFRESHED.test(l))) {
        tookMs = Date.now() - killedAt;
        break;
      }
      await sleep(50);
    }
    // eslint-disable-next-line no-console
    console.log(
      `the surviving replica refreshed ${tookMs} ms after the other was killed mid-refresh (limit ${TAKEOVER_LIMIT_MS} ms)`,
    );
    expect({ refreshedWithinLimit: tookMs !== undefined }).toEqual({
      refreshedWithinLimit: true,
    });
    // It was freed as a timed-out run, not by anything the killed replica did.
    expect(
      replicas[survivor].lines.some(l =>
        /timed out and was lost: pg-backup-refresh-fleet-health/.test(l),
      ),
    ).toBe(true);
  });
});
