import { DrillChecklistItem } from '@pg-backup/backstage-plugin-pg-backup-common';

/** A drill checklist phase. */
export type DrillPhase = DrillChecklistItem['phase'];

/** The QAWave runbook's quarterly drill checklist (pre-recovery, recovery steps, post-recovery). */
export const RUNBOOK_DRILL_CHECKLIST: Record<DrillPhase, readonly string[]> = {
  pre: [
    'Backup file selected and verified accessible',
    'Target environment ready (staging/DR cluster)',
    'Application scaled down',
    'Stakeholders notified',
  ],
  during: [
    'Download backup from S3',
    'Verify backup integrity (pg_restore --list)',
    'Perform restore',
    'Run verification job',
    'Smoke test application',
    'Document recovery time',
  ],
  post: [
    'Application functionality verified',
    'Data integrity confirmed',
    'Performance acceptable',
    'Recovery time documented',
    'Lessons learned recorded',
  ],
};

const PHASES: DrillPhase[] = ['pre', 'during', 'post'];

/**
 * The full checklist of a drill from the items ticked per phase: every seed item, done when
 * ticked, followed by ticked items the runbook does not list (a team's own checks).
 */
export function buildDrillChecklist(
  completed: Partial<Record<DrillPhase, string[]>> | undefined,
): DrillChecklistItem[] {
  return PHASES.flatMap(phase => {
    const ticked = (completed?.[phase] ?? [])
      .map(item => item.trim())
      .filter(Boolean);
    const seed = RUNBOOK_DRILL_CHECKLIST[phase];
    return [
      ...seed.map(item => ({ phase, item, done: ticked.includes(item) })),
      ...ticked
        .filter((item, i) => !seed.includes(item) && ticked.indexOf(item) === i)
        .map(item => ({ phase, item, done: true })),
    ];
  });
}
