#!/usr/bin/env bash
# Long variants of the hardening suites: the same tests as `bash scripts/test.sh` runs,
# with PG_BACKUP_SOAK=1 scaling their iteration counts (fault scenarios, property-test runs,
# backend kills at random points, request bursts across two replicas). Prints the Jest result as
# `N passed, N failed`. Takes about 15-25 minutes on 2 cores.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh || exit 1
source scripts/env.sh
export CI=true PG_BACKUP_SOAK=1
report="$(mktemp)"
trap 'rm -f "$report"' EXIT
yarn backstage-cli repo test --json --outputFile="$report" \
  --testPathPatterns '(faults|resilience|security)/|\.property\.test\.ts$' "$@"
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const broken = r.testResults.filter(s => s.status === "failed" && s.assertionResults.length === 0).length;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests + broken} failed`);
  process.exit(r.numFailedTests + broken > 0 ? 1 : 0);
' "$report"
