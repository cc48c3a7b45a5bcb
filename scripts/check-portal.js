#!/usr/bin/env node
// End-to-end check of the README's start command: runs scripts/start.sh, waits for the app on
// :3000 and the backend on :7007, signs in as guest, and reads the example databases from the
// catalog over HTTP; then, on the same running portal, runs the browser tests (packages/e2e-tests,
// Playwright with Debian's Chromium), each counting as one check. Prints one line per check and
// `N passed, N failed`; exits non-zero on failure.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const path = require('path');
const readline = require('readline');
const { poll } = require('./poll');

// The checks block the event loop while kubectl and the AWS CLI run (spawnSync), so Node's fetch
// may then reuse a kept-alive connection the backend has closed meanwhile; such a read fails
// before the backend sees it (a CI run: `fetch failed` right after the AWS CLI listing) and is
// sent once more. Only reads: a write is never repeated.
const fetchOnce = globalThis.fetch;
async function fetch(url, init) {
  try {
    return await fetchOnce(url, init);
  } catch (error) {
    const method = (init?.method ?? 'GET').toUpperCase();
    const code = error?.cause?.code;
    if (
      !['GET', 'HEAD'].includes(method) ||
      !['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE'].includes(code)
    )
      throw error;
    return fetchOnce(url, init);
  }
}

const root = path.resolve(__dirname, '..');
const BACKEND = 'http://127.0.0.1:7007';
const APP = 'http://localhost:3000';
const START_TIMEOUT_MS = 240_000;
const E2E_DIR = path.join(root, 'packages/e2e-tests');
const E2E_RESULTS_DIR = path.join(root, 'test-results/e2e');
const E2E_TIMEOUT_MS = 15 * 60_000;

const results = [];
function record(name, ok, detail = '', scope = 'portal') {
  results.push(ok);
  console.log(
    `${ok ? 'PASS' : 'FAIL'} ${scope}: ${name}${detail ? ` — ${detail}` : ''}`,
  );
}

function portInUse(port) {
  return new Promise(resolve => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

// Playwright's JSON report nests tests in suites (files, describe blocks) and specs.
function browserTests(suites) {
  return suites.flatMap(suite => [
    ...(suite.specs ?? []).flatMap(spec =>
      spec.tests.map(t => ({ ...t, title: spec.title, file: suite.file })),
    ),
    ...browserTests(suite.suites ?? []),
  ]);
}

const plain = text => String(text ?? '').replace(/\u001b\[[0-9;]*m/g, '');

/**
 * Runs the Playwright suite once against the running portal and records each test. A suite that
 * cannot start, crashes or times out is a failure, never zero tests.
 */
async function runBrowserTests() {
  const report = path.join(E2E_RESULTS_DIR, 'results.json');
  fs.mkdirSync(E2E_RESULTS_DIR, { recursive: true });
  for (const file of fs.readdirSync(E2E_RESULTS_DIR)) {
    if (file === 'results.json' || file.endsWith('.png')) {
      fs.rmSync(path.join(E2E_RESULTS_DIR, file));
    }
  }
  const began = Date.now();
  const run = spawn('yarn', ['playwright', 'test'], {
    cwd: E2E_DIR,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  for (const stream of [run.stdout, run.stderr]) {
    readline
      .createInterface({ input: stream })
      .on('line', line => console.log(`    ${line}`));
  }
  const outcome = await new Promise(resolve => {
    const timer = setTimeout(() => {
      try {
        process.kill(-run.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      resolve(`timed out after ${E2E_TIMEOUT_MS / 60_000} min`);
    }, E2E_TIMEOUT_MS);
    run.on('error', error => {
      clearTimeout(timer);
      resolve(`could not start: ${error.message}`);
    });
    run.on('close', code => {
      clearTimeout(timer);
      resolve(`exited with ${code}`);
    });
  });
  const seconds = ((Date.now() - began) / 1000).toFixed(0);
  if (!fs.existsSync(report)) {
    record(
      'browser tests ran',
      false,
      `playwright ${outcome}, no report`,
      'browser',
    );
    return;
  }
  const parsed = JSON.parse(fs.readFileSync(report, 'utf8'));
  const tests = browserTests(parsed.suites ?? []);
  const errors = (parsed.errors ?? []).map(
    e => plain(e.message).split('\n')[0],
  );
  if (tests.length === 0 || errors.length > 0) {
    record(
      'browser tests ran',
      false,
      `playwright ${outcome} in ${seconds}s with ${
        tests.length
      } tests; ${errors.join('; ')}`,
      'browser',
    );
  }
  for (const t of tests) {
    const last = t.results[t.results.length - 1];
    // 'expected' is a pass; 'unexpected', 'flaky' and 'skipped' (did not run) are failures.
    const ok = t.status === 'expected';
    const notes = (t.annotations ?? []).map(a => `${a.type}: ${a.description}`);
    const detail = ok
      ? [`${((last?.duration ?? 0) / 1000).toFixed(1)}s`, ...notes].join(', ')
      : `${t.status}: ${
          plain(last?.error?.message).split('\n')[0] || 'did not run'
        }`;
    record(`${t.title} (${t.file})`, ok, detail, 'browser');
  }
  const shots = fs
    .readdirSync(E2E_RESULTS_DIR)
    .filter(file => file.endsWith('.png'))
    .map(file => path.relative(root, path.join(E2E_RESULTS_DIR, file)));
  console.log(`browser screenshots: ${shots.join(', ') || 'none'}`);
}

/**
 * Adds the running sandbox's secrets (the portal's and the admin's service-account tokens, the S3
 * secret key) to PG_BACKUP_SECRETS_FILE, so the secret scan also looks for them in the portal's
 * and the browser tests' output.
 */
function registerSandboxSecrets() {
  const file = process.env.PG_BACKUP_SECRETS_FILE;
  if (!file) return;
  const read = name => {
    try {
      return fs.readFileSync(path.join(root, '.sandbox', name), 'utf8');
    } catch {
      return '';
    }
  };
  const config = read('app-config.sandbox.yaml');
  const found = [
    ['portal service-account token', /serviceAccountToken: (\S+)/.exec(config)],
    ['S3 secret key', /secretAccessKey: (\S+)/.exec(config)],
    ['admin kubeconfig token', /token: (\S+)/.exec(read('kubeconfig'))],
  ].filter(([, match]) => match);
  fs.appendFileSync(
    file,
    found.map(([label, match]) => `sandbox ${label}\t${match[1]}\n`).join(''),
  );
}

async function main() {
  for (const port of [3000, 7007, 6443, 4566]) {
    if (await portInUse(port)) {
      record(
        `port ${port} is free`,
        false,
        'something already listens there; stop it first',
      );
      return;
    }
  }
  const started = Date.now();
  const child = spawn('bash', [path.join(root, 'scripts/start.sh')], {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, BROWSER: 'none' },
  });
  const log = [];
  // The whole output, for the secret scan of scripts/test.sh (PG_BACKUP_PORTAL_LOG).
  const fullLog = process.env.PG_BACKUP_PORTAL_LOG
    ? fs.createWriteStream(process.env.PG_BACKUP_PORTAL_LOG, { flags: 'a' })
    : undefined;
  const keep = chunk => {
    fullLog?.write(chunk);
    log.push(chunk.toString());
    if (log.length > 400) log.shift();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  const stop = (signal = 'SIGTERM') => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      /* already gone */
    }
  };
  process.on('exit', () => stop('SIGKILL'));
  // A backend that watch mode was restarting when the portal stopped can ignore SIGTERM and keep
  // :7007, which would fail the next run; whatever is left after a grace period is killed.
  const shutdown = async () => {
    stop('SIGTERM');
    const deadline = Date.now() + 30_000;
    while (
      Date.now() < deadline &&
      ((await portInUse(7007)) || (await portInUse(3000)))
    ) {
      await new Promise(r => setTimeout(r, 1000));
    }
    stop('SIGKILL');
  };

  let portalUp = false;
  try {
    await poll(
      'backend',
      async () => {
        if (exited) throw new Error('start command exited');
        const res = await fetch(`${BACKEND}/.backstage/health/v1/readiness`);
        return res.ok ? true : undefined;
      },
      START_TIMEOUT_MS,
    );
    record(
      'backend ready on :7007',
      true,
      `${((Date.now() - started) / 1000).toFixed(1)}s after start`,
    );

    const html = await poll(
      'app',
      async () => {
        const res = await fetch(`${APP}/catalog`);
        const text = await res.text();
        return res.ok && text.includes('<div id="root">') ? text : undefined;
      },
      START_TIMEOUT_MS,
    );
    record(
      'app served on :3000 with the configured title',
      html.includes('<title>pg-backup portal</title>'),
      `${((Date.now() - started) / 1000).toFixed(1)}s after start`,
    );
    portalUp = true;

    const kubectl = require('child_process').spawnSync(
      'kubectl',
      [
        '--kubeconfig',
        path.join(root, '.sandbox/kubeconfig'),
        'get',
        'namespaces',
        '-o',
        'name',
      ],
      { encoding: 'utf8' },
    );
    record(
      'sandbox Kubernetes API answers kubectl on :6443',
      kubectl.status === 0 && kubectl.stdout.includes('namespace/qawave'),
      (kubectl.stdout + kubectl.stderr).trim().replace(/\n/g, ' '),
    );

    registerSandboxSecrets();

    const jobs = require('child_process').spawnSync(
      'kubectl',
      [
        '--kubeconfig',
        path.join(root, '.sandbox/kubeconfig'),
        'get',
        'jobs',
        '-n',
        'qawave',
        '-l',
        'app.kubernetes.io/name=postgresql-backup',
        '-o',
        'jsonpath={range .items[*]}{.status.conditions[-1].type}{"\\n"}{end}',
      ],
      { encoding: 'utf8' },
    );
    const states = jobs.stdout.trim().split('\n').sort();
    record(
      'seeded world: one failed and one completed backup Job in qawave',
      JSON.stringify(states) === JSON.stringify(['Complete', 'Failed']),
      states.join(', '),
    );
    const listing = require('child_process').spawnSync(
      'aws',
      ['s3', 'ls', 's3://qawave-backups/postgresql/daily/', '--summarize'],
      {
        encoding: 'utf8',
        env: {
          ...process.env,
          AWS_CONFIG_FILE: path.join(root, '.sandbox/aws-config'),
        },
      },
    );
    const objects = Number(
      /Total Objects: (\d+)/.exec(listing.stdout)?.[1] ?? 0,
    );
    record(
      'seeded world: 35 daily backups with manifests in s3://qawave-backups/postgresql/daily/',
      objects === 70,
      `${objects} objects (aws s3 ls)${
        listing.stderr ? `; ${listing.stderr.trim()}` : ''
      }`,
    );

    const anonymous = await fetch(`${BACKEND}/api/catalog/entities`);
    record(
      'catalog refuses anonymous requests',
      anonymous.status === 401,
      `status ${anonymous.status}`,
    );

    // A token carries the ownership claims of its sign-in. Until the catalog has read the example
    // org, the guest provider issues the claims of auth.providers.guest.ownershipEntityRefs
    // (app-config.yaml), the same as the org gives it: the first sign-in is enough, whenever it
    // happens.
    const session = await (
      await fetch(`${BACKEND}/api/auth/guest/refresh`, {
        headers: { 'X-Requested-With': 'XMLHttpRequest' },
      })
    ).json();
    const identity = session.backstageIdentity?.identity;
    record(
      'guest sign-in as user:default/guest, a member of platform-team',
      identity?.userEntityRef === 'user:default/guest' &&
        identity.ownershipEntityRefs.includes('group:default/platform-team'),
      `signed in as ${
        identity?.userEntityRef
      }, member of ${identity?.ownershipEntityRefs?.join(', ')}`,
    );
    const headers = {
      Authorization: `Bearer ${session.backstageIdentity.token}`,
    };

    const db = await poll(
      'qawave-postgresql in the catalog',
      async () => {
        const res = await fetch(
          `${BACKEND}/api/catalog/entities/by-name/resource/default/qawave-postgresql`,
          { headers },
        );
        return res.ok ? res.json() : undefined;
      },
      60_000,
    );
    const a = db.metadata.annotations ?? {};
    record(
      'qawave-postgresql is in the catalog with its pg-backup annotations',
      db.spec?.type === 'database' &&
        a['pg-backup.io/namespace'] === 'qawave' &&
        a['pg-backup.io/backup-cronjob'] === 'postgresql-backup' &&
        a['pg-backup.io/bucket'] === 'qawave-backups',
      `owner ${db.spec?.owner}, rpo ${a['pg-backup.io/rpo']}, rto ${a['pg-backup.io/rto']}`,
    );

    const list = await (
      await fetch(
        `${BACKEND}/api/catalog/entities/by-query?filter=kind=resource,spec.type=database&fields=metadata.name`,
        { headers },
      )
    ).json();
    const names = list.items.map(e => e.metadata.name).sort();
    record(
      'three example databases are listed',
      JSON.stringify(names) ===
        JSON.stringify([
          'analytics-postgresql',
          'orders-postgresql',
          'qawave-postgresql',
        ]),
      names.join(', '),
    );

    // The start command drills qawave-postgresql once the backend answers (scripts/demo-drill.js).
    const drillFile = path.join(root, '.sandbox/demo-drill.json');
    const drill = await poll(
      'the demo drill of the start command',
      async () =>
        fs.existsSync(drillFile)
          ? JSON.parse(fs.readFileSync(drillFile, 'utf8'))
          : undefined,
      300_000,
    ).catch(error => ({ state: 'not-run', error: error.message }));
    record(
      "the start command's demo drill of qawave-postgresql succeeded",
      drill.state === 'succeeded',
      `${drill.state}${drill.operationId ? ` (${drill.operationId})` : ''}${
        drill.error ? `: ${JSON.stringify(drill.error)}` : ''
      }`,
    );

    // pg-backup on the seeded world: health read from the sandbox cluster and S3.
    const health = async name => {
      const res = await fetch(
        `${BACKEND}/api/pg-backup/entities/resource/default/${name}/health`,
        { headers },
      );
      return { status: res.status, body: await res.json() };
    };
    const qawave = await health('qawave-postgresql');
    const codes = r => (r.body.health?.findings ?? []).map(f => f.code);
    const concerns = r =>
      (r.body.health?.findings ?? [])
        .filter(f => f.severity !== 'info')
        .map(f => f.code);
    record(
      'qawave-postgresql is fully healthy: within its RPO, verified, drilled within its RTO',
      qawave.body.health?.status === 'healthy' &&
        concerns(qawave).length === 0 &&
        qawave.body.lastDrill?.passed === true &&
        qawave.body.lastVerification?.passed === true,
      `${qawave.body.health?.status}; findings: ${
        codes(qawave).join(', ') || 'none'
      }; last drill: ${qawave.body.lastDrill?.passed ?? 'none'}, RTO ${
        qawave.body.lastDrill?.measuredRtoMs ?? '?'
      } ms`,
    );
    record(
      'pg-backup reads qawave-postgresql from the sandbox cluster and S3',
      qawave.status === 200 &&
        qawave.body.partial === false &&
        qawave.body.health.rpoMet === true &&
        /^postgresql\/(daily|checkpoints)\/qawave_/.test(
          qawave.body.health.recoveryPoint?.key ?? '',
        ),
      `${qawave.status}: ${qawave.body.health?.status}, ${qawave.body.health?.summary}`,
    );
    const orders = await health('orders-postgresql');
    record(
      'pg-backup finds orders-postgresql stale beyond its RPO and without retention',
      orders.status === 200 &&
        orders.body.health.status === 'critical' &&
        codes(orders).includes('rpo-exceeded') &&
        codes(orders).includes('retention-missing'),
      `${orders.status}: ${codes(orders).join(', ')}`,
    );
    const analytics = await health('analytics-postgresql');
    record(
      'pg-backup finds the analytics bucket unencrypted',
      analytics.status === 200 &&
        codes(analytics).includes('encryption-missing'),
      `${analytics.status}: ${codes(analytics).join(', ')}`,
    );
    // The fleet snapshot of a database is re-evaluated when its drill is recorded.
    const readFleet = async () => {
      const res = await fetch(`${BACKEND}/api/pg-backup/fleet`, { headers });
      return res.ok ? res.json() : undefined;
    };
    const fleet = await poll(
      'a fleet snapshot of three databases, one healthy',
      async () => {
        const body = await readFleet();
        return body?.items?.length === 3 && body.counts.healthy >= 1
          ? body
          : undefined;
      },
      60_000,
    ).catch(async () => (await readFleet()) ?? { counts: {} });
    record(
      'pg-backup serves the fleet of three databases, one healthy',
      fleet.counts.critical >= 1 && fleet.counts.healthy >= 1,
      JSON.stringify(fleet.counts),
    );

    // What the started portal answers to bad requests: JSON errors that name the problem, with
    // no stack trace or file path, and no storage endpoint for health readers.
    const answer = async url => {
      const res = await fetch(`${BACKEND}${url}`, { headers });
      const text = await res.text();
      let body;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      return { status: res.status, text, body };
    };
    const leaks = text =>
      [/"stack"/, /\s+at\s+\S+\s+\(/, new RegExp(root.replace(/\W/g, '\\$&'))]
        .filter(pattern => pattern.test(text))
        .map(String);
    const qawaveApi =
      '/api/pg-backup/entities/resource/default/qawave-postgresql';
    const edges = [
      [
        "another plugin's 404",
        '/api/catalog/entities/by-name/resource/default/nope',
        404,
        /nope/,
      ],
      [
        'a nested query parameter',
        `${qawaveApi}/backups?limit[toString]=1`,
        400,
        /^limit: expected a plain value, as in \?limit=20/,
      ],
      [
        'a page size out of range',
        `${qawaveApi}/backups?limit=1000`,
        400,
        /limit must be at most 100/,
      ],
      [
        'a URL over 16 KiB',
        `/api/pg-backup/fleet?owner=${'x'.repeat(17_000)}`,
        431,
        /send a shorter URL/,
      ],
    ];
    for (const [what, url, status, message] of edges) {
      const r = await answer(url);
      const found = leaks(r.text);
      record(
        `the portal answers ${what} with a JSON ${status} and no stack trace`,
        r.status === status &&
          message.test(r.body?.error?.message ?? '') &&
          found.length === 0,
        `${r.status}: ${(r.body?.error?.message ?? r.text).slice(0, 160)}${
          found.length ? `; leaks ${found.join(', ')}` : ''
        }`,
      );
    }
    const page = await answer(`${qawaveApi}/backups?limit=30`);
    const checksums = (page.body?.items ?? []).map(b => b.sha256);
    record(
      'the seeded back-dated backups each have their own SHA-256',
      checksums.length === 30 && new Set(checksums).size === 30,
      `${new Set(checksums).size} distinct of ${checksums.length}`,
    );
    const jobList = await answer(`${qawaveApi}/jobs`);
    const seededFailure = (jobList.body?.jobs?.value ?? []).find(
      j => j.state === 'failed',
    );
    record(
      "the seeded failed backup Job is classified as a missing bucket, with the runbook's hint",
      seededFailure?.failure?.kind === 's3-bucket-missing' &&
        /S3-compatible storage bucket created/.test(seededFailure.failure.hint),
      `${seededFailure?.name}: ${seededFailure?.failure?.kind} (${seededFailure?.failure?.evidence})`,
    );
    const storage = await answer(`${qawaveApi}/storage`);
    record(
      'the storage policy does not name the S3 endpoint',
      storage.status === 200 &&
        storage.body.endpoint === undefined &&
        !/127\.0\.0\.1|localhost/.test(storage.text),
      `${storage.status}: ${Object.keys(storage.body ?? {}).join(', ')}`,
    );
  } catch (error) {
    record('portal started', false, error.message);
    console.log(log.join('').split('\n').slice(-40).join('\n'));
  }
  // The browser tests need only the app and the backend, so a failed HTTP check above does not
  // stop them; a portal that never came up counts as their failure.
  try {
    if (portalUp) await runBrowserTests();
    else record('browser tests ran', false, 'the portal is not up', 'browser');
  } catch (error) {
    record('browser tests ran', false, error.message, 'browser');
  } finally {
    await shutdown();
  }
}

main().then(() => {
  const passed = results.filter(Boolean).length;
  const failed = results.length - passed;
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : 0);
});
