import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import {
  ApprovalWaitSlots,
  DEFAULT_MAX_WAITING_APPROVALS,
} from './ApprovalWaitSlots';
import { createApprovalRequestAction } from './actions/approvalRequest';
import { createApprovalWaitAction } from './actions/approvalWait';
import { createBackupCreateAction } from './actions/backupCreate';
import { createDrillRunAction } from './actions/drillRun';
import { createRecoveryEmergencyAction } from './actions/recoveryEmergency';
import { createRestoreRunAction } from './actions/restoreRun';
import { createVerifyRunAction } from './actions/verifyRun';
import { PgBackupActionOptions } from './actions/PgBackupActionOptions';
import { FollowTiming } from './FollowTiming';

/** The scaffolder's default `concurrentTasksLimit`. */
const SCAFFOLDER_DEFAULT_CONCURRENT_TASKS = 10;

/**
 * The approval-wait cap from config, refusing one that would let waiting approvals take every
 * scaffolder worker slot of the instance.
 */
export function readApprovalWaitSlots(config: {
  getOptionalNumber(key: string): number | undefined;
}): ApprovalWaitSlots {
  const max =
    config.getOptionalNumber('pgBackup.scaffolder.maxWaitingApprovals') ??
    DEFAULT_MAX_WAITING_APPROVALS;
  const workers =
    config.getOptionalNumber('scaffolder.concurrentTasksLimit') ??
    SCAFFOLDER_DEFAULT_CONCURRENT_TASKS;
  // 0 workers: this instance runs no tasks, so nothing waits here.
  if (workers > 0 && max >= workers) {
    throw new Error(
      `pgBackup.scaffolder.maxWaitingApprovals (${max}) must be smaller than scaffolder.concurrentTasksLimit (${workers}), so tasks waiting for approvals never take every worker slot; lower it or raise the limit`,
    );
  }
  return new ApprovalWaitSlots(max);
}

/** Every pg-backup scaffolder action, as the module registers them. */
export function createPgBackupActions(
  options: PgBackupActionOptions & { slots: ApprovalWaitSlots },
) {
  return [
    createBackupCreateAction(options),
    createRestoreRunAction(options),
    createRecoveryEmergencyAction(options),
    createVerifyRunAction(options),
    createDrillRunAction(options),
    createApprovalRequestAction(options),
    createApprovalWaitAction(options),
  ];
}

/**
 * The module with its polling timing; tests pass a faster one, the portal uses
 * {@link scaffolderModulePgBackup}.
 */
export function createScaffolderModulePgBackup(
  options: { timing?: Partial<FollowTiming> } = {},
) {
  return createBackendModule({
    pluginId: 'scaffolder',
    moduleId: 'pg-backup',
    register(reg) {
      reg.registerInit({
        deps: {
          scaffolder: scaffolderActionsExtensionPoint,
          config: coreServices.rootConfig,
          discovery: coreServices.discovery,
          auth: coreServices.auth,
        },
        async init({ scaffolder, config, discovery, auth }) {
          scaffolder.addActions(
            ...createPgBackupActions({
              discovery,
              auth,
              timing: options.timing,
              slots: readApprovalWaitSlots(config),
            }),
          );
        },
      });
    },
  });
}

/**
 * Adds the pg-backup actions (`pg-backup:*`) to the scaffolder.
 *
 * @public
 */
export const scaffolderModulePgBackup = createScaffolderModulePgBackup();
