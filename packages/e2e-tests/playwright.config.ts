import { defineConfig } from '@playwright/test';
import path from 'node:path';

/** Screenshots, the JSON report and failure traces, under the repository's git-ignored test-results/. */
export const RESULTS_DIR = path.resolve(__dirname, '../../test-results/e2e');

export default defineConfig({
  testDir: './e2e',
  testMatch: '*.spec.ts',
  // One portal, one sandbox: the tests share its state, so they run one at a time.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 90_000,
  expect: { timeout: 20_000 },
  outputDir: path.join(RESULTS_DIR, 'playwright'),
  reporter: [
    ['list'],
    ['json', { outputFile: path.join(RESULTS_DIR, 'results.json') }],
  ],
  use: {
    baseURL: process.env.PG_BACKUP_APP_URL ?? 'http://localhost:3000',
    viewport: { width: 1440, height: 900 },
    navigationTimeout: 60_000,
    actionTimeout: 20_000,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    // Debian's Chromium: Playwright cannot download its own browsers on this kind of machine.
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  // Projects run in this order (one worker, no dependencies, so a failure skips nothing):
  // the read-only views first, then the tests that start a backup or adopt a dump and so change
  // the world.
  projects: [
    {
      name: 'views',
      testIgnore: ['back-up-now.spec.ts', 'adopt-pipeline-dump.spec.ts'],
    },
    {
      name: 'actions',
      testMatch: ['back-up-now.spec.ts', 'adopt-pipeline-dump.spec.ts'],
    },
  ],
});
