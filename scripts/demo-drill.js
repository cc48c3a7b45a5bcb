#!/usr/bin/env node
// Part of the start command (scripts/start.sh): once the portal's backend answers, runs a real
// recovery drill of qawave-postgresql through pg-backup's API, as a signed-in member of
// platform-team would from the Backups tab. The drill restores the newest backup into a scratch
// database, verifies it against its manifest and records the measured recovery time, so the
// seeded world shows one database whose backups are proven: verified, drilled within its RTO.
// Writes the outcome to .sandbox/demo-drill.json (the portal check waits for it).
'use strict';
const fs = require('fs');
const path = require('path');
const { poll } = require('./poll');

const root = path.resolve(__dirname, '..');
const BACKEND = 'http://127.0.0.1:7007';
const DATABASE = '/api/pg-backup/entities/resource/default/qawave-postgresql';
const OUTCOME = path.join(root, '.sandbox/demo-drill.json');
const TERMINAL = ['succeeded', 'failed', 'cancelled'];

async function main() {
  fs.rmSync(OUTCOME, { force: true });
  const session = await poll(
    'a guest sign-in on the backend',
    async () => {
      const res = await fetch(`${BACKEND}/api/auth/guest/refresh`, {
        headers: { 'X-Requested-With': 'XMLHttpRequest' },
      });
      return res.ok ? res.json() : undefined;
    },
    600_000,
  );
  const headers = {
    Authorization: `Bearer ${session.backstageIdentity.token}`,
    'Content-Type': 'application/json',
  };
  // The catalog serves the example entities a moment after the backend starts.
  const started = await poll(
    'a drill of qawave-postgresql',
    async () => {
      const res = await fetch(`${BACKEND}${DATABASE}/operations`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          kind: 'drill',
          notes: "Demo drill run by the portal's start command on the sandbox",
        }),
      });
      const body = await res.json().catch(() => ({}));
      if (res.status === 202) return body;
      throw new Error(`${res.status}: ${body.error?.message ?? ''}`);
    },
    180_000,
  );
  const operation = await poll(
    `the end of drill ${started.id}`,
    async () => {
      const res = await fetch(
        `${BACKEND}/api/pg-backup/operations/${started.id}`,
        {
          headers,
        },
      );
      const body = res.ok ? await res.json() : undefined;
      return body && TERMINAL.includes(body.state) ? body : undefined;
    },
    300_000,
  );
  const outcome = {
    operationId: operation.id,
    state: operation.state,
    backupKey: operation.backupKey,
    ...(operation.error && { error: operation.error }),
  };
  fs.writeFileSync(OUTCOME, JSON.stringify(outcome, null, 2));
  console.log(
    `demo drill: qawave-postgresql ${operation.state} (operation ${operation.id}, ${operation.backupKey})`,
  );
}

main().catch(error => {
  fs.writeFileSync(
    OUTCOME,
    JSON.stringify({ state: 'not-run', error: error.message }, null, 2),
  );
  console.error(`demo drill: ${error.message}`);
});
