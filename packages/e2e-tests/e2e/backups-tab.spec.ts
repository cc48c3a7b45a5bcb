import {
  entityPage,
  expect,
  saveScreenshot,
  section,
  test,
  visit,
} from './portal';

test('the Backups tab of qawave-postgresql lists backups, jobs with logs, and the storage policy', async ({
  page,
}) => {
  const url = `${entityPage('qawave-postgresql')}/backups`;
  // The entity page's tabs are links; the sidebar's "Backups" (the fleet page) is another one.
  const tab = page.locator(`a[href$="${url}"]`);
  await visit(page, url, tab);
  await expect(tab).toHaveText('Backups');

  const backups = section(page, 'Backups');
  await expect(
    backups
      .getByRole('row')
      .filter({ hasText: /qawave_\d{8}_\d{6}\.dump/ })
      .first(),
  ).toBeVisible();

  const storage = section(page, 'Storage policy');
  // The seeded bucket expires daily backups after 30 days and encrypts with AES256.
  await expect(storage).toContainText(/\b30 ?(d\b|days?)/);
  await expect(storage).toContainText('AES256');

  const jobs = section(page, 'Jobs');
  const jobRow = jobs
    .getByRole('row')
    .filter({ has: page.getByRole('button', { name: 'Logs' }) })
    .first();
  await expect(jobRow).toContainText('postgresql-backup');
  await saveScreenshot(page, 'tab-backups-qawave-postgresql');

  await jobRow.getByRole('button', { name: 'Logs' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog.getByRole('heading', { name: /^Logs of/ })).toBeVisible();
  // The backup agent's own log lines, read from the Job's pod.
  await expect(dialog).toContainText(/backup: /);
  await saveScreenshot(page, 'tab-backups-logs-dialog');
});
