import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

/** Examples of `pg-backup:backup:create`, shown in the scaffolder's action list and tested. */
export const examples: TemplateExample[] = [
  {
    description: 'Backs up a database now and waits for the new backup',
    example: yaml.stringify({
      steps: [
        {
          id: 'backup',
          action: 'pg-backup:backup:create',
          name: 'Back up now',
          input: { entityRef: 'resource:default/qawave-postgresql' },
        },
      ],
    }),
  },
  {
    description:
      'Backs up before a risky change, then verifies exactly that backup',
    example: yaml.stringify({
      steps: [
        {
          id: 'backup',
          action: 'pg-backup:backup:create',
          name: 'Back up now',
          input: { entityRef: 'resource:default/qawave-postgresql' },
        },
        {
          id: 'verify',
          action: 'pg-backup:verify:run',
          name: 'Verify the new backup',
          input: {
            entityRef: 'resource:default/qawave-postgresql',
            backupKey: '${{ steps.backup.output.backupKey }}',
            reason: 'Before the schema migration',
          },
        },
      ],
    }),
  },
];
