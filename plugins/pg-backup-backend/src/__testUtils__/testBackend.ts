import { ServiceFactory } from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import request from 'supertest';
import { USERS } from './testWorld';

/** The mock scheduler: it runs tasks only when triggered; its type hides the factory it has. */
export function manualScheduler() {
  return mockServices.scheduler() as ReturnType<
    typeof mockServices.scheduler
  > & {
    factory(options: { skipTaskRunOnStartup: boolean }): ServiceFactory;
  };
}

/**
 * Waits (at most 30 s) until the catalog has read the world's entities: `path` of a test
 * backend's `server`, asked by the database's owner, stops answering 404.
 */
export async function waitForCatalog(
  server: Parameters<typeof request>[0],
  path: string,
): Promise<void> {
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    const res = await request(server)
      .get(path)
      .set('Authorization', mockCredentials.user.header(USERS.owner));
    if (res.status !== 404) return;
    await new Promise(r => setTimeout(r, 100));
  }
}
