import {
  HEALTH_STATUS,
  backupHealthCard,
  entityPage,
  expect,
  kubectlJobs,
  saveScreenshot,
  test,
  visit,
} from './portal';

type BackupPage = { items: Array<{ key: string; takenAt: string }> };

test('Back up now on the qawave-postgresql card runs a Job that adds a new backup', async ({
  page,
  pgBackupApi,
}) => {
  const newestBackup = async () => {
    const response = await pgBackupApi.get(
      '/entities/resource/default/qawave-postgresql/backups?limit=1',
    );
    expect(response.status(), await response.text()).toBe(200);
    return ((await response.json()) as BackupPage).items[0];
  };

  const card = backupHealthCard(page);
  await visit(
    page,
    entityPage('qawave-postgresql'),
    card.getByText(HEALTH_STATUS),
  );
  const jobsBefore = new Set(kubectlJobs('qawave').map(job => job.name));
  const backupBefore = await newestBackup();

  await card.getByRole('button', { name: 'Back up now' }).click();
  const progress = card.getByRole('status');
  await expect(progress).toHaveText(/Starting a backup|is running/);
  await expect(progress).toHaveText(/Backup job \S+ finished\./, {
    timeout: 30_000,
  });
  const job = /Backup job (\S+) finished\./.exec(
    (await progress.textContent()) ?? '',
  )![1];
  await saveScreenshot(card, 'card-qawave-postgresql-after-backup');

  // Independently of the portal: the Job is new in the cluster and completed.
  expect(jobsBefore.has(job), `${job} existed before the click`).toBe(false);
  await expect
    .poll(() => kubectlJobs('qawave').find(j => j.name === job)?.conditions, {
      message: `kubectl shows ${job} completed`,
      timeout: 30_000,
    })
    .toContain('Complete');

  // And its backup is the newest one now.
  await expect
    .poll(async () => (await newestBackup())?.key, { timeout: 30_000 })
    .not.toBe(backupBefore?.key);
  const backupAfter = await newestBackup();
  expect(backupAfter.key).toMatch(/qawave_\d{8}_\d{6}\.dump$/);
  if (backupBefore) {
    expect(Date.parse(backupAfter.takenAt)).toBeGreaterThan(
      Date.parse(backupBefore.takenAt),
    );
  }
  console.log(`new backup: ${backupAfter.key} by job ${job}`);

  // The fleet follows within the recheck interval (30 s), not at the next 5-minute refresh: the
  // qawave row's recovery point becomes the new backup, and the row says when it was evaluated.
  type FleetEntry = {
    entityRef: string;
    evaluatedAt: string;
    recoveryPointTime?: string;
  };
  const listedAt = Date.now();
  const qawaveEntry = async () => {
    const response = await pgBackupApi.get('/fleet?limit=100');
    expect(response.status(), await response.text()).toBe(200);
    return ((await response.json()).items as FleetEntry[]).find(
      item => item.entityRef === 'resource:default/qawave-postgresql',
    );
  };
  await expect
    .poll(
      async () =>
        Date.parse((await qawaveEntry())?.recoveryPointTime ?? '') || 0,
      {
        message:
          "the fleet shows the new backup as qawave-postgresql's recovery point",
        timeout: 75_000,
        intervals: [2_000],
      },
    )
    // (the key's time has whole seconds)
    .toBeGreaterThanOrEqual(Date.parse(backupAfter.takenAt) - 1000);
  const fleet = page.getByRole('table').filter({ hasText: 'Database' });
  await visit(page, '/pg-backup', fleet.getByRole('row').nth(1));
  const row = fleet.getByRole('row').filter({ hasText: /qawave/i });
  await expect(row).toContainText(/Evaluated \d\d:\d\d UTC, (0s|1m|2m) ago/);
  console.log(
    `fleet shows the new backup of qawave-postgresql ${Math.round(
      (Date.now() - listedAt) / 1000,
    )} s after it was listed`,
  );
});
