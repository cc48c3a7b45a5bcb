import fs from 'node:fs';
import { expect, saveScreenshot, test, visit } from './portal';

const DATABASES = [
  /QAWave PostgreSQL|qawave-postgresql/,
  /Orders PostgreSQL|orders-postgresql/,
  /Analytics PostgreSQL|analytics-postgresql/,
];

test('the Backups fleet page lists every database, sums up compliance and exports CSV', async ({
  page,
}) => {
  const compliance = page.getByText(/Compliance/).first();
  await visit(page, '/pg-backup', compliance);

  for (const database of DATABASES) {
    await expect(page.getByText(database).first()).toBeVisible();
  }
  await saveScreenshot(page, 'fleet-page');

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: /Export CSV/ }).click(),
  ]);
  const csv = fs.readFileSync(await download.path(), 'utf8');
  const lines = csv.split(/\r?\n/).filter(line => line.trim() !== '');
  expect(lines[0]).toMatch(/^database,/);
  expect(lines, csv).toHaveLength(1 + DATABASES.length);
  for (const database of ['qawave', 'orders', 'analytics']) {
    expect(
      lines.some(line => line.includes(database)),
      csv,
    ).toBe(true);
  }

  // Reachable from the sidebar, as "Backups".
  const sidebarItem = page
    .getByRole('navigation')
    .getByRole('link', { name: 'Backups' });
  await visit(page, '/catalog', sidebarItem);
  await sidebarItem.click();
  await expect(page).toHaveURL(/\/pg-backup$/);
});
