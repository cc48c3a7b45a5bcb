import { execFileSync } from 'node:child_process';
import {
  aws,
  awsEnvironment,
  dumpStamp,
  entityPage,
  expect,
  saveScreenshot,
  section,
  test,
  visit,
} from './portal';

const BUCKET = 's3://qawave-backups/';
const PREFIX = 'postgresql/daily/';

test('a dump from a pg_dump | aws s3 cp pipeline is adopted by verifying it from the Backups tab', async ({
  page,
}) => {
  test.setTimeout(180_000);
  // The runbook's pipeline, run by hand: a dump a minute older than the newest backup, no manifest.
  const newest = aws('s3', 'ls', `${BUCKET}${PREFIX}`)
    .split('\n')
    .map(line =>
      /qawave_(\d{4})(\d\d)(\d\d)_(\d\d)(\d\d)(\d\d)\.dump$/.exec(line),
    )
    .filter((m): m is RegExpExecArray => m !== null)
    .map(([, y, mo, d, h, mi, s]) => Date.UTC(+y, +mo - 1, +d, +h, +mi, +s))
    .sort((a, b) => b - a)[0];
  expect(newest).toBeDefined();
  const file = `qawave_${dumpStamp(new Date(newest - 60_000))}.dump`;
  execFileSync(
    'bash',
    [
      '-o',
      'pipefail',
      '-c',
      `pg_dump -Fc -h 127.0.0.1 -U postgres qawave | aws s3 cp - "${BUCKET}${PREFIX}${file}"`,
    ],
    { env: awsEnvironment() },
  );
  try {
    const url = `${entityPage('qawave-postgresql')}/backups`;
    const backups = section(page, 'Backups');
    const row = backups.getByRole('row').filter({ hasText: file });
    await visit(page, url, row);
    await expect(row).toContainText(
      'not verified: no manifest (interrupted or made outside pg-backup)',
    );
    await expect(row.getByRole('link', { name: 'Restore' })).toHaveCount(0);
    await row.getByRole('link', { name: 'Verify to adopt' }).click();

    // The verify template, pre-filled with the database and this dump.
    await expect(
      page.getByText('Verify a PostgreSQL backup').first(),
    ).toBeVisible();
    await expect(page.getByRole('button', { name: /^Backup/ })).toContainText(
      '(verify adopts it)',
    );
    await page.getByRole('button', { name: 'Review' }).click();
    await page.getByRole('button', { name: 'Create' }).click();
    await expect(page.getByText(/passed verification/)).toBeVisible({
      timeout: 120_000,
    });
    await saveScreenshot(page, 'verify-adopts-pipeline-dump');

    // Independently of the portal: the verify wrote the dump's manifest.
    expect(aws('s3', 'ls', `${BUCKET}${PREFIX}${file}`)).toContain(
      `${file}.manifest.json`,
    );

    // Back on the tab, the dump is a verified backup that can be restored.
    await visit(page, url, row);
    await expect(row).toContainText('passed');
    await expect(row).not.toContainText('no manifest');
    await expect(row.getByRole('link', { name: 'Verify' })).toBeVisible();
  } finally {
    aws('s3', 'rm', `${BUCKET}${PREFIX}${file}`);
    aws('s3', 'rm', `${BUCKET}${PREFIX}${file}.manifest.json`);
  }
});
