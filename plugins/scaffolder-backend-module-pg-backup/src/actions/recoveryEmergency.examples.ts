import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

/** Examples of `pg-backup:recovery:emergency`, shown in the scaffolder's action list and tested. */
export const examples: TemplateExample[] = [
  {
    description:
      'Emergency recovery from the newest verified backup, approved by a second person',
    example: yaml.stringify({
      steps: [
        {
          id: 'request-approval',
          action: 'pg-backup:approval:request',
          name: 'Request approval',
          input: {
            entityRef: 'resource:default/qawave-postgresql',
            kind: 'emergency',
            reason: 'Data corruption after the 14:00 deployment',
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
          id: 'recover',
          action: 'pg-backup:recovery:emergency',
          name: 'Emergency recovery',
          input: {
            entityRef: 'resource:default/qawave-postgresql',
            approvalId: "${{ steps['wait-for-approval'].output.approvalId }}",
            confirmation: 'qawave',
            reason: 'Data corruption after the 14:00 deployment',
          },
        },
      ],
    }),
  },
  {
    description: 'Emergency recovery from a chosen backup',
    example: yaml.stringify({
      steps: [
        {
          id: 'recover',
          action: 'pg-backup:recovery:emergency',
          name: 'Emergency recovery',
          input: {
            entityRef: 'resource:default/qawave-postgresql',
            backupKey: 'postgresql/daily/qawave_20261124_020000.dump',
            approvalId: 'b6f1c1f0-3c1e-4a53-9d4e-8f1f7f0c2a11',
            confirmation: 'qawave',
            reason: 'Restore to the state before the faulty import',
          },
        },
      ],
    }),
  },
];
