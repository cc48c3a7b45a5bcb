import { mockServices } from '@backstage/backend-test-utils';
import { ApprovalWaitSlots } from '../ApprovalWaitSlots';
import { FollowTiming } from '../FollowTiming';
import { PgBackupActionOptions } from '../actions/PgBackupActionOptions';
import { PgBackupContractServer } from './PgBackupContractServer';

/** Polling fast enough for tests, with the production tolerances otherwise. */
export const FAST_TIMING: Partial<FollowTiming> = {
  pollIntervalMs: 5,
  approvalPollIntervalMs: 5,
  cancelGraceMs: 2_000,
  maxConsecutiveFailures: 3,
  backupListingGraceMs: 200,
};

/** Action options pointing at the contract server, with the mock auth service's tokens. */
export function actionTestOptions(
  server: PgBackupContractServer,
  slots: ApprovalWaitSlots = new ApprovalWaitSlots(5),
): PgBackupActionOptions & { slots: ApprovalWaitSlots } {
  return {
    discovery: {
      getBaseUrl: async () => server.baseUrl,
      getExternalBaseUrl: async () => server.baseUrl,
    },
    // The module's own credentials are the scaffolder's, as in the backend.
    auth: mockServices.auth({ pluginId: 'scaffolder' }),
    timing: FAST_TIMING,
    slots,
  };
}
