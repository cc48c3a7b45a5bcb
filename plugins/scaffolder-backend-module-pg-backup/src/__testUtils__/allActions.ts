import { TemplateAction } from '@backstage/plugin-scaffolder-node';
import { createPgBackupActions } from '../module';
import { PgBackupContractServer } from './PgBackupContractServer';
import { actionTestOptions } from './actionTestOptions';

/** Every pg-backup action by id, talking to `server` (or to nothing, for schema checks). */
export function allActions(
  server?: PgBackupContractServer,
): Map<string, TemplateAction<any, any>> {
  const options = server
    ? actionTestOptions(server)
    : ({ slots: undefined } as unknown as ReturnType<typeof actionTestOptions>);
  return new Map(
    createPgBackupActions(options).map(action => [
      action.id,
      action as TemplateAction<any, any>,
    ]),
  );
}
