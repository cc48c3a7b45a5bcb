#!/usr/bin/env bash
# Runs every check of the repository and prints one line per step and, last, the sum of every
# test and check as `N passed, N failed`; exits non-zero if anything failed. In order: the type
# check and the published packages built and packed (the install's build scripts run beside
# them); then side by side the portal start check (with the browser suite) and the static checks
# (Backstage version pins, the browser tests' type check, lint, formatting, publish metadata, the
# OpenAPI document, API reports); then every Jest suite, with the adopter test (the tarballs
# installed into a freshly generated Backstage app) beside it at the lowest CPU priority; last the
# secret scan over all their output.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh --defer-sqlite || { echo "bootstrap failed"; echo "0 passed, 1 failed"; exit 1; }
echo "bootstrap: ${SECONDS}s"
source scripts/env.sh
export CI=true

reports="$(mktemp -d)"
trap 'rm -rf "$reports"' EXIT
# The packages' build scripts, if the install deferred them: better-sqlite3 compiles on one core
# beside the type check and the package builds; the portal check and Jest wait for it.
sqlite_pid=
if [ ! -f node_modules/better-sqlite3/build/Release/better_sqlite3.node ]; then
  (yarn rebuild && bash scripts/bootstrap.sh --stamp; echo $? > "$reports/sqlite.rc") > "$reports/sqlite-build.log" 2>&1 &
  sqlite_pid=$!
else
  echo 0 > "$reports/sqlite.rc"
fi
sqlite_built() { # the deferred build's outcome, with its output
  [ -z "$sqlite_pid" ] || wait "$sqlite_pid"
  cat "$reports/sqlite-build.log" 2>/dev/null
  [ "$(cat "$reports/sqlite.rc")" = 0 ]
}
# The test worlds append their secret values here; the secret-scan step looks for them in the logs.
export PG_BACKUP_SECRETS_FILE="$reports/secrets.tsv"
: > "$PG_BACKUP_SECRETS_FILE"
passed=0
failed=0
# CPU time is what bounds the run on a two-core machine: each step and phase reports its own
# (user + system seconds of the command and the processes it waited for), where GNU time exists.
cpu_timed() { # <name> <command...>: runs the command, its CPU time kept in $reports/<name>.cpu
  local name=$1; shift
  if [ -x /usr/bin/time ] && [ "$(type -t "$1")" = file ]; then
    /usr/bin/time -o "$reports/$name.cpu" -f '%U %S' "$@"
  else "$@"; fi
}
cpu_of() { # <name>: ", cpu Ns" for a command run by cpu_timed, or nothing
  [ -f "$reports/$1.cpu" ] && tail -n 1 "$reports/$1.cpu" | awk '{ printf ", cpu %.0fs", $1 + $2 }'
}
step() { # <name> <command...>: a check that counts as one test
  local name=$1; shift
  local began=$SECONDS
  if cpu_timed "$name" "$@" > "$reports/$name.log" 2>&1; then
    passed=$((passed + 1)); echo "PASS $name ($((SECONDS - began))s$(cpu_of "$name"))"
  else
    failed=$((failed + 1)); echo "FAIL $name ($((SECONDS - began))s$(cpu_of "$name"))"; tail -n 60 "$reports/$name.log"
  fi
}
count() { # <name> <file with 'N passed, N failed' on its last line>
  local line
  line="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$2" | tail -n 1)"
  if [ -z "$line" ]; then failed=$((failed + 1)); echo "FAIL $1: no result line"; return; fi
  passed=$((passed + ${line%% passed*})); failed=$((failed + $(echo "$line" | sed -E 's/.* ([0-9]+) failed/\1/')))
}

# The type check of the repository (whose declarations the package builds bundle), then the
# published packages built and packed, every tarball's files and manifest checked. The adopter
# test installs these tarballs.
pack_began=$SECONDS
cpu_timed pack node scripts/pack-packages.js --out "$reports/packs" > "$reports/pack.log" 2>&1
grep -E '^(PASS|FAIL) ' "$reports/pack.log"
grep -qE '^[0-9]+ passed, 0 failed$' "$reports/pack.log" || tail -n 60 "$reports/pack.log"
echo "pack: $((SECONDS - pack_began))s$(cpu_of pack)"
count pack "$reports/pack.log"

# Side by side, neither timing-sensitive the way the Jest suites are: the README's start command
# (once better-sqlite3 is built) checked end to end over HTTP with the browser suite (the portal's
# own output is kept), and the static checks, at a lower CPU priority so the portal answers in time.
phase_began=$SECONDS
(
  until [ -f "$reports/sqlite.rc" ]; do sleep 1; done
  if [ "$(cat "$reports/sqlite.rc")" = 0 ]; then
    PG_BACKUP_PORTAL_LOG="$reports/portal-output.log" cpu_timed portal node scripts/check-portal.js
  else
    echo "the portal check did not run: better-sqlite3 did not build"; echo "0 passed, 1 failed"
  fi
) > "$reports/portal.log" 2>&1 &
portal_pid=$!
step backstage-pins node scripts/check-backstage-pins.js
step type-check-browser-tests nice -n 15 yarn tsc -p packages/e2e-tests
step lint nice -n 15 yarn backstage-cli repo lint
step prettier nice -n 15 yarn prettier --check --loglevel warn .
step publish-metadata nice -n 15 yarn backstage-cli repo fix --publish --check
# The backend's OpenAPI document, validated as backstage-repo-tools validates it before generating.
step openapi-valid nice -n 15 bash -c 'cd plugins/pg-backup-backend && yarn run -T backstage-repo-tools package schema openapi validate'
# The API and CLI reports (the CLI report runs the agent's packed entry point).
step api-reports nice -n 15 yarn build:api-reports --ci
step build-better-sqlite3 sqlite_built
wait "$portal_pid"
cat "$reports/portal.log"
echo "portal check$(cpu_of portal)"
count portal "$reports/portal.log"
echo "portal check and static checks: $((SECONDS - phase_began))s"

# Jest: every package's unit, component and integration suites, on the CLI's two workers (three
# took 432 s against 470-514 s in a fresh clone, but starved the adopter test to 526 s and put more
# load beside the timing-sensitive suites). Its longest suites mostly wait (for Jobs, leases,
# the scheduler's janitor), so about one core is idle while it runs: the adopter test (the
# tarballs installed into a freshly generated Backstage app, started on a sandbox of its own, on
# other ports) uses it, at the lowest CPU priority so that Jest's timing-sensitive suites get the
# CPU they ask for. (Started beside the portal check instead, even at that priority, its install
# slowed the portal check by 70-100 s: the disk is shared, and CPU priority does not order it.)
began=$SECONDS
cpu_timed adopter nice -n 19 node scripts/adopter-test.js --packs "$reports/packs" > "$reports/adopter.log" 2>&1 &
adopter_pid=$!
cpu_timed jest yarn backstage-cli repo test --json --outputFile="$reports/jest.json" > "$reports/jest.log" 2>&1
node -e '
  const fs = require("fs");
  const file = process.argv[1];
  if (!fs.existsSync(file)) { console.log("0 passed, 1 failed"); process.exit(0); }
  const r = JSON.parse(fs.readFileSync(file, "utf8"));
  // A suite that fails to run (syntax error, import failure) has no test results: count it.
  const broken = r.testResults.filter(s => s.status === "failed" && s.assertionResults.length === 0).length;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests + broken} failed`);
' "$reports/jest.json" > "$reports/jest.count"
echo "jest: $(cat "$reports/jest.count") ($((SECONDS - began))s$(cpu_of jest))"
# Where the Jest time went: the ten longest suites (wall time on their worker).
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const root = process.cwd() + "/";
  const timed = r.testResults.map(s => [Math.round((s.endTime - s.startTime) / 1000), s.name.replace(root, "")]);
  timed.sort((a, b) => b[0] - a[0]);
  console.log("  longest suites: " + timed.slice(0, 10).map(([t, n]) => `${n} ${t}s`).join(", "));
' "$reports/jest.json" 2>/dev/null || true
if ! grep -qE ' 0 failed$' "$reports/jest.count"; then
  grep -E '✕|●' "$reports/jest.log" | head -n 80
  # Which suites failed and why (a suite that fails to run prints no ✕ line of its own).
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    for (const s of r.testResults.filter(s => s.status === "failed"))
      console.log(`FAILED SUITE ${s.name}\n${(s.message || "").split("\n").slice(0, 30).join("\n")}`);
  ' "$reports/jest.json" 2>/dev/null || true
fi
count jest "$reports/jest.count"
wait "$adopter_pid"
cat "$reports/adopter.log"
echo "adopter test$(cpu_of adopter)"
count adopter "$reports/adopter.log"
echo "jest and the adopter test: $((SECONDS - began))s"

# No secret of the test worlds or of the sandbox in any output: Jest's, the portal's, the browser tests'.
step secret-scan node scripts/scan-secrets.js "$PG_BACKUP_SECRETS_FILE" "$reports"

times > "$reports/times"
echo "test command: ${SECONDS}s, cpu of everything it waited for: $(tail -n 1 "$reports/times")"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
