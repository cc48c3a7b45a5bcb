import { LoggerService } from '@backstage/backend-plugin-api';
import { NotificationService } from '@backstage/plugin-notifications-node';
import { HealthSnapshot } from '../database/HealthSnapshotStore';
import { RecoveryRecordStore } from '../database/RecoveryRecordStore';
import { SnapshotListener } from './FleetRefresher';

/**
 * Notifies a database's owner when it turns critical, when a backup job fails and when its
 * recovery drill is overdue, once per event: a critical state is notified again only after the
 * database recovered in between, a failed job only once, an overdue drill once per last drill.
 */
export function createHealthNotifier(deps: {
  notifications: NotificationService;
  records: RecoveryRecordStore;
  logger: LoggerService;
  entityLink: (entityRef: string) => string;
  now?: () => Date;
}): SnapshotListener {
  const now = deps.now ?? (() => new Date());
  const send = async (
    snapshot: HealthSnapshot,
    dedupKey: string,
    title: string,
    description: string,
    severity: 'critical' | 'normal' = 'critical',
  ) => {
    if (!snapshot.owner) return;
    if (!(await deps.records.markNotified(dedupKey, now()))) return;
    await deps.notifications.send({
      recipients: { type: 'entity', entityRef: snapshot.owner },
      payload: {
        title,
        description,
        link: deps.entityLink(snapshot.entityRef),
        severity,
        topic: `pg-backup:${snapshot.entityRef}`,
        scope: dedupKey,
      },
    });
    deps.logger.info(`pg-backup: notified ${snapshot.owner}: ${title}`);
  };
  return async (snapshots, previous) => {
    for (const snapshot of snapshots) {
      // One notification per critical episode (kept in the database, so restarts do not
      // repeat it); recovering ends the episode.
      const episode = `critical:${snapshot.entityRef}`;
      if (snapshot.status === 'critical') {
        await send(
          snapshot,
          episode,
          `Backups of ${snapshot.title} are critical`,
          snapshot.summary,
        );
      } else if (previous.get(snapshot.entityRef)?.status === 'critical') {
        await deps.records.forgetNotification(episode);
      }
      for (const failed of snapshot.health.findings.filter(
        f => f.code === 'last-job-failed',
      )) {
        await send(
          snapshot,
          `job-failed:${snapshot.entityRef}:${
            failed.subject ?? failed.message
          }`,
          `A backup job of ${snapshot.title} failed`,
          failed.message,
        );
      }
      // A new drill changes the key, so the next overdue period is notified again.
      const overdue = snapshot.health.findings.find(
        f => f.code === 'drill-overdue',
      );
      if (overdue) {
        await send(
          snapshot,
          `drill-overdue:${snapshot.entityRef}:${
            snapshot.lastDrillTime ?? 'never'
          }`,
          `A recovery drill of ${snapshot.title} is overdue`,
          overdue.message,
          'normal',
        );
      }
    }
  };
}
