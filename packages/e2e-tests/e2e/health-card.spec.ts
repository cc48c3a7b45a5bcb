import {
  HEALTH_STATUS,
  backupHealthCard,
  entityPage,
  expect,
  saveScreenshot,
  test,
  visit,
} from './portal';

test('the Backup health card of qawave-postgresql shows its status and real figures', async ({
  page,
}, testInfo) => {
  const card = backupHealthCard(page);
  const status = card.getByText(HEALTH_STATUS);
  const url = entityPage('qawave-postgresql');
  // A first load signs in and fills the browser's cache, as for a user who already uses the portal.
  await visit(page, url, status);

  const started = Date.now();
  const { signedIn } = await visit(page, url, status);
  const renderMs = Date.now() - started;
  // Reported, not asserted: the target is 1500 ms, and a dev-mode portal on a busy machine varies.
  const note = signedIn ? ' (including a guest sign-in)' : '';
  console.log(`card render: ${renderMs} ms${note}`);
  testInfo.annotations.push({
    type: 'card render',
    description: `${renderMs} ms${note}`,
  });

  // What a user mostly does: click a database in the portal (here from the fleet page) rather than
  // reload the whole app from the dev server.
  const databases = page.getByRole('table').filter({ hasText: 'Database' });
  await visit(page, '/pg-backup', databases.first());
  // The database's own link (the row also links its system, "qawave").
  const link = databases
    .first()
    .getByRole('link', { name: /qawave.*postgresql/i });
  const clicked = Date.now();
  await link.click();
  await expect(status).toBeVisible({ timeout: 30_000 });
  const navigationMs = Date.now() - clicked;
  console.log(`card render after in-app navigation: ${navigationMs} ms`);
  testInfo.annotations.push({
    type: 'card render after in-app navigation',
    description: `${navigationMs} ms`,
  });

  await expect(card).toContainText(/Recovery point .+ old/);
  await expect(card).toContainText(/RPO \d/);
  // qawave's recovery point is within its RPO: no "RPO 6h exceeded" summary or finding.
  await expect(card).not.toContainText(/RPO \S+ exceeded|rpo-exceeded/i);
  // The last backup's size, from its manifest in the sandbox bucket.
  await expect(card).toContainText(
    /\d+(\.\d+)? ?(B|kB|KB|KiB|MB|MiB|GB|GiB)\b/,
  );
  await expect(card).toContainText(/Next (backup|checkpoint): /);
  // The start command's drill proved qawave's backups: what "good" looks like.
  await expect(status).toHaveText('Healthy');
  await expect(card).toContainText(/Last drill: .+ · passed · RTO .+ of 4h/);
  await saveScreenshot(card, 'card-qawave-postgresql');
});

test('the Backup health card of orders-postgresql is critical because its RPO is exceeded', async ({
  page,
}) => {
  const card = backupHealthCard(page);
  const status = card.getByText(HEALTH_STATUS);
  await visit(page, entityPage('orders-postgresql'), status);
  await expect(status).toHaveText('Critical');
  await expect(card).toContainText(/RPO \S+ exceeded|exceeds? (the )?RPO/i);
  await saveScreenshot(card, 'card-orders-postgresql');
});
