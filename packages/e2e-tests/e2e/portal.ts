import {
  APIResponse,
  test as base,
  expect,
  Locator,
  Page,
} from '@playwright/test';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** The repository root, where the portal's sandbox keeps its kubeconfig. */
const ROOT = path.resolve(__dirname, '../../..');

/** Where screenshots go (git-ignored); check-portal.js lists them after the run. */
export const SCREENSHOT_DIR = path.join(ROOT, 'test-results/e2e');

/** The backend the app talks to (app-config's backend.baseUrl). */
export const BACKEND_URL =
  process.env.PG_BACKUP_BACKEND_URL ?? 'http://localhost:7007';

/** The card's status labels, as HealthStatusLabel renders them. */
export const HEALTH_STATUS = /^(Healthy|Warning|Critical|Unknown)$/;

/** The catalog page of one of the seeded example databases. */
export const entityPage = (name: string) => `/catalog/default/resource/${name}`;

// The dev server's error overlay covers the whole page on any uncaught render error elsewhere in
// the app; a production build has none, so it is hidden to test what a user of the portal sees.
const HIDE_DEV_OVERLAY = `
  document.addEventListener('DOMContentLoaded', () => {
    const style = document.createElement('style');
    style.textContent = '#react-refresh-overlay, #webpack-dev-server-client-overlay { display: none !important; }';
    document.head.appendChild(style);
  });
`;

/**
 * Waits until the backend is ready. The portal runs in watch mode, so a change to a backend file
 * restarts it; a test that starts during a restart waits for it instead of failing.
 */
export async function waitForBackend(page: Page): Promise<void> {
  const began = Date.now();
  await expect
    .poll(
      async () => {
        const response = await page.request
          .get(`${BACKEND_URL}/.backstage/health/v1/readiness`)
          .catch(() => undefined);
        return response?.ok() ?? false;
      },
      { message: `${BACKEND_URL} is ready`, timeout: 120_000 },
    )
    .toBe(true);
  const waitedMs = Date.now() - began;
  if (waitedMs > 2000) console.log(`waited ${waitedMs} ms for the backend`);
}

/**
 * Opens a page of the app and waits until `ready` shows, signing in as guest on the way if the
 * sign-in page comes up (the "Enter" button on its Guest card). The app usually keeps the guest
 * session across page loads, but not always, so every load is ready for either. Returns whether it
 * had to sign in.
 */
export async function visit(
  page: Page,
  url: string,
  ready: Locator,
): Promise<{ signedIn: boolean }> {
  await page.goto(url);
  const enter = page.getByRole('button', { name: 'Enter' });
  await expect(
    enter.or(ready).first(),
    `${url} shows the sign-in page or ${ready}`,
  ).toBeVisible({ timeout: 60_000 });
  if (!(await enter.isVisible())) return { signedIn: false };
  // Clicked again if an attempt did not get through (a backend restarting in between).
  await expect(async () => {
    if (await enter.isVisible()) await enter.click();
    await expect(ready).toBeVisible({ timeout: 15_000 });
  }).toPass({ timeout: 45_000 });
  return { signedIn: true };
}

/** Reads the pg-backup API as the signed-in browser does: its backend URL and its session token. */
export type PgBackupApiAsBrowser = {
  get(path: string): Promise<APIResponse>;
};

type PortalFixtures = { pgBackupApi: PgBackupApiAsBrowser };

/** Playwright's `test`, with the backend ready and the dev server's error overlay hidden. */
export const test = base.extend<PortalFixtures>({
  page: async ({ page }, use) => {
    await page.addInitScript(HIDE_DEV_OVERLAY);
    const pageErrors: string[] = [];
    page.on('pageerror', error => pageErrors.push(error.message));
    await waitForBackend(page);
    await use(page);
    if (pageErrors.length > 0) {
      // Not a failure of these tests, but worth seeing next to them.
      console.log(
        `uncaught page errors: ${pageErrors.length} (first: ${pageErrors[0]})`,
      );
    }
  },
  pgBackupApi: async ({ page }, use) => {
    // Taken from the app's own requests, so that the test reads what the signed-in user may read.
    let seen: { base: string; authorization: string } | undefined;
    page.on('request', request => {
      const match = /^(.*\/api\/pg-backup)\//.exec(request.url());
      const authorization = request.headers().authorization;
      if (match && authorization) seen = { base: match[1], authorization };
    });
    await use({
      async get(apiPath) {
        await expect
          .poll(() => seen, {
            message: 'the app sent no authenticated request to /api/pg-backup',
          })
          .toBeTruthy();
        return page.request.get(`${seen!.base}${apiPath}`, {
          headers: { authorization: seen!.authorization },
        });
      },
    });
  },
});

export { expect };

/**
 * A titled section: an InfoCard (its header title) or a Backstage Table (its toolbar title).
 * The innermost paper holding the title, so that nested papers do not match.
 */
export function section(page: Page, title: string): Locator {
  const titleText = new RegExp(`^${title}$`);
  const heading = page
    .locator(
      '.MuiCardHeader-title, .MuiToolbar-root h5, h1, h2, h3, h4, h5, h6',
    )
    .filter({ hasText: titleText });
  return page.locator('.MuiPaper-root').filter({ has: heading }).last();
}

/** The "Backup health" card of the entity page that is open. */
export function backupHealthCard(page: Page): Locator {
  return section(page, 'Backup health');
}

/** Saves a screenshot under test-results/e2e/ and prints its path. */
export async function saveScreenshot(
  target: Page | Locator,
  name: string,
): Promise<string> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await target.screenshot(
    'goto' in target ? { path: file, fullPage: true } : { path: file },
  );
  console.log(`screenshot: ${path.relative(ROOT, file)}`);
  return file;
}

/** A Job as `kubectl get jobs -o json` shows it. */
export type KubectlJob = {
  name: string;
  conditions: string[];
};

/** The Jobs of a namespace of the sandbox cluster, read with kubectl (not through the portal). */
export function kubectlJobs(namespace: string): KubectlJob[] {
  const output = execFileSync(
    'kubectl',
    [
      '--kubeconfig',
      path.join(ROOT, '.sandbox/kubeconfig'),
      'get',
      'jobs',
      '-n',
      namespace,
      '-o',
      'json',
    ],
    { encoding: 'utf8' },
  );
  const list = JSON.parse(output) as {
    items: Array<{
      metadata: { name: string };
      status?: { conditions?: Array<{ type: string; status: string }> };
    }>;
  };
  return list.items.map(item => ({
    name: item.metadata.name,
    conditions: (item.status?.conditions ?? [])
      .filter(c => c.status === 'True')
      .map(c => c.type),
  }));
}

/** Runs kubectl against the portal's sandbox cluster, as an operator would; returns stdout. */
export function kubectl(...args: string[]): string {
  return execFileSync(
    'kubectl',
    ['--kubeconfig', path.join(ROOT, '.sandbox/kubeconfig'), ...args],
    { encoding: 'utf8' },
  );
}

/**
 * Runs the AWS CLI against the portal's sandbox S3, as an operator would, with the config file
 * the sandbox writes (endpoint, region, credentials); returns stdout.
 */
export function aws(...args: string[]): string {
  return execFileSync('aws', args, { encoding: 'utf8', env: awsEnvironment() });
}

/** The environment the AWS CLI reaches the portal's sandbox S3 with (its config file). */
export function awsEnvironment(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    AWS_CONFIG_FILE: path.join(ROOT, '.sandbox/aws-config'),
  };
}

/** `YYYYMMDD_HHMMSS` in UTC, the time part of a dump's name (`qawave_20260130_020000.dump`). */
export function dumpStamp(at: Date): string {
  return at.toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15);
}

/**
 * The words of table headers and cells under `scope` that the browser broke across lines
 * ("suc/cee/ded"), each with the text of its cell. A compound that wraps at its hyphen or
 * slash, as typesetting allows, is not a broken word.
 */
export async function brokenWords(scope: Locator): Promise<string[]> {
  return scope.evaluate(root => {
    const broken: string[] = [];
    for (const cell of Array.from(root.querySelectorAll('th, td'))) {
      const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node.textContent ?? '';
        for (const match of Array.from(text.matchAll(/[^\s\-/]+/g))) {
          const range = document.createRange();
          range.setStart(node, match.index ?? 0);
          range.setEnd(node, (match.index ?? 0) + match[0].length);
          const lines = new Set(
            Array.from(range.getClientRects()).map(r => Math.round(r.top)),
          );
          if (lines.size > 1)
            broken.push(`${match[0]} (in "${cell.textContent?.trim()}")`);
        }
      }
    }
    return broken;
  });
}

/** The tables under `scope` wider than the element they scroll in: columns people cannot see. */
export async function overflowingTables(scope: Locator): Promise<string[]> {
  return scope.evaluate(root =>
    Array.from(root.querySelectorAll('table'))
      .filter(table => {
        const parent = table.parentElement;
        return parent !== null && table.offsetWidth > parent.clientWidth + 1;
      })
      .map(table => table.getAttribute('aria-label') ?? 'a table'),
  );
}
