import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

/** Examples of `pg-backup:approval:request`, shown in the scaffolder's action list and tested. */
export const examples: TemplateExample[] = [
  {
    description: 'Requests approval for a restore over the live database',
    example: yaml.stringify({
      steps: [
        {
          id: 'request-approval',
          action: 'pg-backup:approval:request',
          name: 'Request approval',
          input: {
            entityRef: 'resource:default/qawave-postgresql',
            backupKey: 'postgresql/daily/qawave_20261124_020000.dump',
            target: { kind: 'live' },
            confirmation: 'qawave',
            reason: 'A faulty migration dropped the invoices table',
          },
        },
      ],
    }),
  },
  {
    description: 'Requests approval for an emergency recovery',
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
      ],
    }),
  },
];
