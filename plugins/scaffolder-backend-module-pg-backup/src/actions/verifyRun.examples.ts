import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

/** Examples of `pg-backup:verify:run`, shown in the scaffolder's action list and tested. */
export const examples: TemplateExample[] = [
  {
    description: 'Verifies the newest backup of a database',
    example: yaml.stringify({
      steps: [
        {
          id: 'verify',
          action: 'pg-backup:verify:run',
          name: 'Verify the newest backup',
          input: { entityRef: 'resource:default/qawave-postgresql' },
        },
      ],
    }),
  },
  {
    description: 'Verifies a chosen backup, with a reason for the audit trail',
    example: yaml.stringify({
      steps: [
        {
          id: 'verify',
          action: 'pg-backup:verify:run',
          name: 'Verify a backup',
          input: {
            entityRef: 'resource:default/qawave-postgresql',
            backupKey: 'postgresql/daily/qawave_20261124_020000.dump',
            reason: 'Before the schema migration',
          },
        },
      ],
    }),
  },
];
