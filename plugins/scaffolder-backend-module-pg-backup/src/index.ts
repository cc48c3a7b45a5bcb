/**
 * Scaffolder actions of pg-backup: back up, restore, verify, emergency recovery, drills and
 * approvals, as thin clients of the pg-backup backend acting on behalf of the task's initiator.
 *
 * @packageDocumentation
 */

export { scaffolderModulePgBackup as default } from './module';
export { createPgBackupActions, readApprovalWaitSlots } from './module';
export { createBackupCreateAction } from './actions/backupCreate';
export { createRestoreRunAction } from './actions/restoreRun';
export { createRecoveryEmergencyAction } from './actions/recoveryEmergency';
export { createVerifyRunAction } from './actions/verifyRun';
export { createDrillRunAction } from './actions/drillRun';
export { createApprovalRequestAction } from './actions/approvalRequest';
export { createApprovalWaitAction } from './actions/approvalWait';
export type { PgBackupActionOptions } from './actions/PgBackupActionOptions';
export { ApprovalWaitSlots } from './ApprovalWaitSlots';
export type { FollowTiming } from './FollowTiming';
export { SEED_DRILL_CHECKLIST } from './drillChecklist';
