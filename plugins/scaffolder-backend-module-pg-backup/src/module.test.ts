import { ConfigReader } from '@backstage/config';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import {
  TemplateAction,
  scaffolderActionsExtensionPoint,
} from '@backstage/plugin-scaffolder-node';
import { readApprovalWaitSlots, scaffolderModulePgBackup } from './module';

describe('scaffolderModulePgBackup', () => {
  it('registers every pg-backup action with the scaffolder', async () => {
    const added: TemplateAction<any, any>[] = [];
    await startTestBackend({
      extensionPoints: [
        [
          scaffolderActionsExtensionPoint,
          {
            addActions: (...actions: TemplateAction<any, any>[]) =>
              added.push(...actions),
          },
        ],
      ],
      features: [
        scaffolderModulePgBackup,
        mockServices.rootConfig.factory({ data: {} }),
      ],
    });
    expect(added.map(a => a.id).sort()).toEqual([
      'pg-backup:approval:request',
      'pg-backup:approval:wait',
      'pg-backup:backup:create',
      'pg-backup:drill:run',
      'pg-backup:recovery:emergency',
      'pg-backup:restore:run',
      'pg-backup:verify:run',
    ]);
    for (const action of added) {
      expect({ id: action.id, dryRun: action.supportsDryRun }).toEqual({
        id: action.id,
        dryRun: true,
      });
      expect(action.examples?.length).toBeGreaterThan(0);
    }
  });

  it('refuses to start when waiting approvals could take every worker slot', () => {
    expect(() =>
      readApprovalWaitSlots(
        new ConfigReader({
          pgBackup: { scaffolder: { maxWaitingApprovals: 10 } },
        }),
      ),
    ).toThrow(
      'pgBackup.scaffolder.maxWaitingApprovals (10) must be smaller than scaffolder.concurrentTasksLimit (10)',
    );
  });

  it('defaults to 5 waiting approvals and follows the configured limits', () => {
    expect(readApprovalWaitSlots(new ConfigReader({})).max).toBe(5);
    expect(
      readApprovalWaitSlots(
        new ConfigReader({
          scaffolder: { concurrentTasksLimit: 12 },
          pgBackup: { scaffolder: { maxWaitingApprovals: 7 } },
        }),
      ).max,
    ).toBe(7);
    // An instance without task workers waits for nothing; any cap is fine.
    expect(
      readApprovalWaitSlots(
        new ConfigReader({ scaffolder: { concurrentTasksLimit: 0 } }),
      ).max,
    ).toBe(5);
  });
});
