/*
 * The entry point of a pg-backup backend run as its own OS process (see backendProcess.ts), so
 * that tests can kill it with SIGKILL. Run with `node -r sucrase/register/ts`; reads its
 * configuration as JSON from PG_BACKUP_TEST_BACKEND_CONFIG and prints one line
 * `pg-backup-test-backend listening on <url>` on stdout once every plugin started.
 */
import { createBackend } from '@backstage/backend-defaults';
import { mockServices } from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import permissionPlugin from '@backstage/plugin-permission-backend';
import { JsonObject } from '@backstage/types';
import { pgBackupPlugin } from '../plugin';
import { testPolicyModule } from './testWorld';

/** The line backendProcess.ts waits for (not imported from here: importing would start a backend). */
const READY_LINE = 'pg-backup-test-backend listening on ';

async function main() {
  const data = JSON.parse(
    process.env.PG_BACKUP_TEST_BACKEND_CONFIG ?? '',
  ) as JsonObject;
  // The production backend with its real services (HTTP server on backend.listen, scheduler,
  // database, permissions), except that callers authenticate with mockCredentials tokens.
  const backend = createBackend();
  backend.add(mockServices.rootConfig.factory({ data }));
  backend.add(mockServices.rootLogger.factory({ level: 'info' }));
  backend.add(mockServices.auth.factory());
  backend.add(mockServices.httpAuth.factory());
  backend.add(mockServices.userInfo.factory());
  backend.add(pgBackupPlugin);
  backend.add(catalogPlugin);
  backend.add(permissionPlugin);
  backend.add(testPolicyModule);
  await backend.start();
  const stop = () => {
    backend
      .stop()
      .catch(error => process.stderr.write(`stop failed: ${error}\n`))
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // A test process that dies leaves no backend behind: its end of stdin closes.
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
  process.stdout.write(
    `${READY_LINE}${(data.backend as JsonObject).baseUrl}\n`,
  );
}

main().catch(error => {
  process.stderr.write(`pg-backup test backend failed to start: ${error}\n`);
  process.exit(1);
});
