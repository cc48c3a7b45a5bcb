import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

/** Examples of `pg-backup:approval:wait`, shown in the scaffolder's action list and tested. */
export const examples: TemplateExample[] = [
  {
    description: 'Waits for the approval requested in an earlier step',
    example: yaml.stringify({
      steps: [
        {
          id: 'wait-for-approval',
          action: 'pg-backup:approval:wait',
          name: 'Wait for approval',
          input: {
            approvalId: "${{ steps['request-approval'].output.approvalId }}",
          },
        },
      ],
    }),
  },
  {
    description: 'Waits for a known approval request',
    example: yaml.stringify({
      steps: [
        {
          id: 'wait-for-approval',
          action: 'pg-backup:approval:wait',
          name: 'Wait for approval',
          input: { approvalId: 'b6f1c1f0-3c1e-4a53-9d4e-8f1f7f0c2a11' },
        },
      ],
    }),
  },
];
