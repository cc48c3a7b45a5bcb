import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

/** Examples of `pg-backup:drill:run`, shown in the scaffolder's action list and tested. */
export const examples: TemplateExample[] = [
  {
    description: 'Runs the quarterly drill with the newest backup',
    example: yaml.stringify({
      steps: [
        {
          id: 'drill',
          action: 'pg-backup:drill:run',
          name: 'Recovery drill',
          input: { entityRef: 'resource:default/qawave-postgresql' },
        },
      ],
    }),
  },
  {
    description:
      'Runs a drill with a chosen backup, recording the checklist and lessons learned',
    example: yaml.stringify({
      steps: [
        {
          id: 'drill',
          action: 'pg-backup:drill:run',
          name: 'Recovery drill',
          input: {
            entityRef: 'resource:default/qawave-postgresql',
            backupKey: 'postgresql/daily/qawave_20261124_020000.dump',
            checklist: {
              pre: [
                'Backup file selected and verified accessible',
                'Stakeholders notified',
              ],
              during: ['Smoke test application'],
              post: ['Data integrity confirmed', 'Lessons learned recorded'],
            },
            notes:
              'Restore took longer than last quarter: the dump grew 40%. Raise the verify Job memory.',
            reason: 'Q4 recovery drill',
          },
        },
      ],
    }),
  },
];
