/**
 * Scaffolder actions of pg-backup: back up, restore, verify, emergency recovery, drills and
 * approvals, as thin clients of the pg-backup backend acting on behalf of the task's initiator.
 *
 * @packageDocumentation
 */

export { scaffolderModulePgBackup as default } from './module';
