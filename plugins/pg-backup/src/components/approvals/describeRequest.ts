import { ApprovalRequest } from '@pg-backup/backstage-plugin-pg-backup-common';
import { backupFileName } from '../formatting';

const TARGETS = {
  'new-database': 'into the new database',
  'other-namespace': 'into',
  live: 'OVER THE LIVE DATABASE',
} as const;

/** "restore of qawave_20261124_020000.dump OVER THE LIVE DATABASE qawave, requested by … : reason". */
export function describeRequest(request: ApprovalRequest): string {
  const backup = request.backupKey
    ? backupFileName(request.backupKey)
    : 'the newest verified backup';
  let where = '';
  if (request.target) {
    const place =
      request.target.kind === 'other-namespace'
        ? ` ${request.target.database} in namespace ${
            request.target.namespace ?? '?'
          }${
            request.target.cluster
              ? ` on cluster ${request.target.cluster}`
              : ''
          }`
        : ` ${request.target.database}`;
    where = ` ${TARGETS[request.target.kind]}${place}`;
  } else if (request.kind === 'emergency') {
    where = ' over the live database, with its Deployments scaled to 0';
  }
  return `${request.kind} of ${backup}${where}, requested by ${request.requestedBy}: ${request.reason}`;
}
