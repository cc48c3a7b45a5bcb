/** The scaffolder templates the tab's actions open (shipped by the scaffolder module). */
export const PG_BACKUP_TEMPLATES = {
  restore: 'pg-backup-restore',
  verify: 'pg-backup-verify',
} as const;

/**
 * Link to a pg-backup template with the form pre-filled for one backup of one database. The
 * scaffolder reads `formData` from the query string.
 */
export function templateLink(
  template: keyof typeof PG_BACKUP_TEMPLATES,
  entityRef: string,
  backupKey: string,
  scaffolderPath: string = '/create',
): string {
  const formData = JSON.stringify({ entity: entityRef, backupKey });
  return `${scaffolderPath}/templates/default/${
    PG_BACKUP_TEMPLATES[template]
  }?${new URLSearchParams({ formData })}`;
}
