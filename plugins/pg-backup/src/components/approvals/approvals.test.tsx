import { identityApiRef } from '@backstage/core-plugin-api';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import {
  TestApiProvider,
  mockApis,
  renderInTestApp,
} from '@backstage/test-utils';
import { ApprovalRequest } from '@pg-backup/backstage-plugin-pg-backup-common';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { PgBackupApi, pgBackupApiRef } from '../../api/PgBackupApi';
import { EntityApprovalsCard } from './EntityApprovalsCard';
import { PendingApprovalsCard } from './PendingApprovalsCard';

const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';

const request = (overrides: Partial<ApprovalRequest>): ApprovalRequest => ({
  id: 'ap-1',
  entityRef: 'resource:default/qawave-postgresql',
  kind: 'restore',
  backupKey: 'postgresql/daily/qawave_20261124_020000.dump',
  target: { kind: 'live', database: 'qawave' },
  reason: 'Bad migration dropped the orders table',
  requestedBy: BOB,
  state: 'pending',
  createdAt: '2026-11-24T10:00:00.000Z',
  expiresAt: '2026-11-24T14:00:00.000Z',
  ...overrides,
});

function render(
  ui: JSX.Element,
  api: Partial<PgBackupApi>,
  options: { me?: string; mayApprove?: boolean } = {},
) {
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [pgBackupApiRef, api],
        [
          identityApiRef,
          mockApis.identity({ userEntityRef: options.me ?? ALICE }),
        ],
        [
          permissionApiRef,
          mockApis.permission({
            authorize:
              options.mayApprove === false
                ? AuthorizeResult.DENY
                : AuthorizeResult.ALLOW,
          }),
        ],
      ]}
    >
      {ui}
    </TestApiProvider>,
  );
}

describe('approvals', () => {
  it("lets a second person approve somebody else's live restore, with a comment", async () => {
    let current = request({});
    const decideApproval = jest.fn(async (_id: string, decision) => {
      current = {
        ...current,
        state: 'approved',
        decidedBy: ALICE,
        decidedAt: '2026-11-24T10:05:00.000Z',
        comment: decision.comment,
      };
      return current;
    });
    await render(
      <EntityApprovalsCard entityRef="resource:default/qawave-postgresql" />,
      { getApprovals: async () => [current], decideApproval },
    );
    expect(
      await screen.findByText(
        `restore of qawave_20261124_020000.dump OVER THE LIVE DATABASE qawave, requested by ${BOB}: Bad migration dropped the orders table`,
      ),
    ).toBeInTheDocument();
    await userEvent.click(
      await screen.findByRole('button', { name: 'Approve request ap-1' }),
    );
    const dialog = await screen.findByRole('dialog');
    await userEvent.type(
      within(dialog).getByRole('textbox'),
      'Checked with the on-call DBA',
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Approve' }),
    );
    expect(decideApproval).toHaveBeenCalledWith('ap-1', {
      decision: 'approve',
      comment: 'Checked with the on-call DBA',
    });
    expect(
      await screen.findByText(/approved by user:default\/alice/),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Approve request ap-1' }),
    ).toBeNull();
  }, 20_000); // the first render of the suite pays for loading the components

  it('never offers the requester a decision on their own request', async () => {
    await render(<EntityApprovalsCard entityRef="resource:default/own-db" />, {
      getApprovals: async () => [request({ requestedBy: ALICE })],
    });
    expect(
      await screen.findByText(/Your request: another person must approve it/),
    ).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Approve/ })).toBeNull();
  });

  it('offers no decision without the approve permission', async () => {
    await render(
      <EntityApprovalsCard entityRef="resource:default/no-approve-db" />,
      { getApprovals: async () => [request({})] },
      { mayApprove: false },
    );
    expect(await screen.findByText(/Bad migration/)).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Approve/ })).toBeNull();
  });

  it('needs a reason to reject and shows a refusal from the backend', async () => {
    const decideApproval = jest.fn(async () => {
      throw new Error('approval ap-1 expired at 2026-11-24T14:00:00.000Z');
    });
    await render(<PendingApprovalsCard />, {
      getPendingApprovals: async () => [request({})],
      decideApproval,
    });
    await userEvent.click(
      await screen.findByRole('button', { name: 'Reject request ap-1' }),
    );
    const dialog = await screen.findByRole('dialog');
    const reject = within(dialog).getByRole('button', { name: 'Reject' });
    expect(reject).toBeDisabled();
    await userEvent.type(
      within(dialog).getByRole('textbox'),
      'Use a new database',
    );
    await userEvent.click(reject);
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      'approval ap-1 expired at 2026-11-24T14:00:00.000Z',
    );
    expect(decideApproval).toHaveBeenCalledWith('ap-1', {
      decision: 'reject',
      comment: 'Use a new database',
    });
  });

  it('says when nothing waits for a decision', async () => {
    await render(<PendingApprovalsCard />, {
      getPendingApprovals: async () => [],
    });
    expect(
      await screen.findByText('Nothing waits for your approval.'),
    ).toBeInTheDocument();
    await waitFor(() => expect(screen.queryByRole('progressbar')).toBeNull());
  });
});
