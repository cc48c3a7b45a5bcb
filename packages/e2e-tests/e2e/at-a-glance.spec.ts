import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  HEALTH_STATUS,
  aws,
  backupHealthCard,
  brokenWords,
  dumpStamp,
  entityPage,
  expect,
  kubectl,
  overflowingTables,
  saveScreenshot,
  section,
  test,
  visit,
} from './portal';

// Tampering as an operator would, with kubectl and the AWS CLI, on the analytics database (the
// other suites read qawave and orders); everything is put back at the end.
const NAMESPACE = 'analytics';
const CRONJOB = 'analytics-backup';
const BUCKET = 's3://analytics-backups/pg/';
const FUTURE_EMPTY = `${BUCKET}analytics_20991231_235959.dump`;

/** A dump key of now, like the agent's, for a copy without a manifest. */
function keyOfNow(): string {
  return `${BUCKET}analytics_${dumpStamp(new Date())}.dump`;
}

function suspend(value: boolean) {
  kubectl(
    'patch',
    'cronjob',
    CRONJOB,
    '-n',
    NAMESPACE,
    '--type=merge',
    '-p',
    JSON.stringify({ spec: { suspend: value } }),
  );
}

test('the card heads with what threatens recovery, names the restorable backup and shows a suspended schedule', async ({
  page,
}) => {
  const newest = aws('s3', 'ls', BUCKET)
    .split('\n')
    .map(line => line.trim().split(/\s+/).pop() ?? '')
    .filter(name => /^analytics_\d{8}_\d{6}\.dump$/.test(name))
    .sort()
    .pop();
  expect(newest).toBeDefined();
  const withoutManifest = keyOfNow();
  try {
    suspend(true);
    const empty = path.join(
      fs.mkdtempSync(path.join(os.tmpdir(), 'pg-backup-e2e-')),
      'empty.dump',
    );
    fs.writeFileSync(empty, '');
    aws('s3', 'cp', empty, FUTURE_EMPTY);
    aws('s3', 'cp', `${BUCKET}${newest}`, withoutManifest);

    const card = backupHealthCard(page);
    const url = entityPage('analytics-postgresql');
    await visit(page, url, card.getByText(HEALTH_STATUS));
    // The backend reuses a database's health for a few seconds (pgBackup.cache.healthTtl):
    // reload until the change shows.
    await expect
      .poll(
        async () => {
          await visit(page, url, card.getByText(HEALTH_STATUS));
          return card.innerText();
        },
        { timeout: 60_000, intervals: [2_000] },
      )
      .toContain('Next backup: suspended');

    await expect(card.getByText(HEALTH_STATUS)).toHaveText('Critical');
    // The headline: the suspended schedule, not the junk objects nor the bucket's hygiene.
    await expect(card).toContainText(
      'The backup CronJob analytics-backup is suspended: no new backups will be taken',
    );
    await expect(card).toContainText(
      `Next backup: suspended (CronJob ${CRONJOB})`,
    );
    await expect(card).not.toContainText('Next scheduled run');
    // "Last backup" is the recovery point: a complete dump, not the empty future-dated object
    // nor the copy without a manifest.
    const lastBackup = card.getByText(/^Last backup: /);
    await expect(lastBackup).not.toContainText('2099');
    await expect(lastBackup).not.toContainText(' 0 B ');
    await expect(lastBackup).toContainText(/\d+(\.\d+)? (KiB|MiB|GiB)/);

    // Findings grouped by severity, worst first, with titles for people.
    const threatens = card.getByRole('list', { name: 'Threatens recovery' });
    await expect(threatens.locator('[title]').first()).toHaveText(
      'Backup schedule suspended',
    );
    const attention = card.getByRole('list', { name: 'Needs attention' });
    const titles = await attention
      .getByRole('listitem')
      .evaluateAll(items =>
        items.map(i => i.querySelector('[title]')?.textContent ?? ''),
      );
    expect(titles).toContain('Newest object is not a usable backup');
    expect(titles).toContain('Bucket not encrypted by default');
    // Anomalies of single objects come after the bucket's hygiene.
    expect(titles.indexOf('Bucket not encrypted by default')).toBeLessThan(
      titles.indexOf('Newest object is not a usable backup'),
    );
    // The code stays available as the title's tooltip, never as the text people read.
    await expect(card.locator('[title="cronjob-suspended"]')).toHaveText(
      'Backup schedule suspended',
    );
    await expect(card).not.toContainText('warning ·');
    // Nothing is cut off: every finding fits the card's width.
    const overflowing = await card
      .getByRole('listitem')
      .evaluateAll(items =>
        items
          .filter(i => i.scrollWidth > i.clientWidth + 1)
          .map(i => i.textContent),
      );
    expect(overflowing).toEqual([]);
    await saveScreenshot(card, 'card-analytics-postgresql-suspended');
  } finally {
    suspend(false);
    aws('s3', 'rm', FUTURE_EMPTY);
    aws('s3', 'rm', withoutManifest);
  }
});

test('tables do not break words at 1280 and 1920 px', async ({ page }) => {
  const url = `${entityPage('qawave-postgresql')}/backups`;
  const jobs = section(page, 'Jobs');
  const storage = section(page, 'Storage policy');
  await page.setViewportSize({ width: 1280, height: 1000 });
  await visit(page, url, jobs.getByRole('row').nth(1));
  await expect(storage.getByRole('row').nth(1)).toBeVisible();
  for (const width of [1280, 1920]) {
    // The page reflows to the new width without a reload.
    await page.setViewportSize({ width, height: 1000 });
    expect({ width, broken: await brokenWords(jobs) }).toEqual({
      width,
      broken: [],
    });
    expect({ width, broken: await brokenWords(storage) }).toEqual({
      width,
      broken: [],
    });
    // And every column shows without scrolling sideways.
    expect({
      width,
      overflowing: [
        ...(await overflowingTables(jobs)),
        ...(await overflowingTables(storage)),
      ],
    }).toEqual({ width, overflowing: [] });
    await saveScreenshot(page, `tab-backups-qawave-postgresql-${width}`);
  }

  const fleet = page.getByRole('table').filter({ hasText: 'Database' });
  await visit(page, '/pg-backup', fleet.getByRole('row').nth(1));
  for (const width of [1920, 1280]) {
    await page.setViewportSize({ width, height: 1000 });
    expect({ width, broken: await brokenWords(fleet) }).toEqual({
      width,
      broken: [],
    });
    await saveScreenshot(page, `fleet-page-${width}`);
  }
});
