import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

/** Examples of `pg-backup:restore:run`, shown in the scaffolder's action list and tested. */
export const examples: TemplateExample[] = [
  {
    description:
      'Restores the newest verified backup into a new database next to the live one',
    example: yaml.stringify({
      steps: [
        {
          id: 'restore',
          action: 'pg-backup:restore:run',
          name: 'Restore into a new database',
          input: {
            entityRef: 'resource:default/qawave-postgresql',
            reason: 'Inspect yesterday’s orders without touching production',
          },
        },
      ],
    }),
  },
  {
    description:
      'Restores a chosen backup into the database server of another namespace and cluster (recovery to a new cluster)',
    example: yaml.stringify({
      steps: [
        {
          id: 'restore',
          action: 'pg-backup:restore:run',
          name: 'Restore into the DR cluster',
          input: {
            entityRef: 'resource:default/qawave-postgresql',
            backupKey: 'postgresql/daily/qawave_20261124_020000.dump',
            target: {
              kind: 'other-namespace',
              namespace: 'qawave-dr',
              cluster: 'dr',
              database: 'qawave',
            },
            reason: 'Quarterly recovery to the DR cluster',
          },
        },
      ],
    }),
  },
  {
    description:
      'Restores over the live database once a second person approved it; the typed database name confirms',
    example: yaml.stringify({
      steps: [
        {
          id: 'request-approval',
          action: 'pg-backup:approval:request',
          name: 'Request approval',
          input: {
            entityRef: 'resource:default/qawave-postgresql',
            kind: 'restore',
            backupKey: 'postgresql/daily/qawave_20261124_020000.dump',
            target: { kind: 'live', database: 'qawave' },
            reason: 'A faulty migration dropped the invoices table',
          },
        },
        {
          id: 'wait-for-approval',
          action: 'pg-backup:approval:wait',
          name: 'Wait for approval',
          input: {
            approvalId: "${{ steps['request-approval'].output.approvalId }}",
          },
        },
        {
          id: 'restore',
          action: 'pg-backup:restore:run',
          name: 'Restore over the live database',
          input: {
            entityRef: 'resource:default/qawave-postgresql',
            backupKey: 'postgresql/daily/qawave_20261124_020000.dump',
            target: { kind: 'live' },
            confirmation: 'qawave',
            approvalId: "${{ steps['wait-for-approval'].output.approvalId }}",
            reason: 'A faulty migration dropped the invoices table',
          },
        },
      ],
    }),
  },
];
