/** The descriptors Kubernetes' CronJob controller accepts besides the five fields, as fields. */
export const CRON_DESCRIPTORS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/**
 * The fields a descriptor (`@daily`) stands for, or undefined for anything else: only the
 * table's own keys count, so a schedule such as `__proto__` or `constructor` is not mistaken
 * for one.
 */
export function descriptorFields(schedule: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(CRON_DESCRIPTORS, schedule)
    ? CRON_DESCRIPTORS[schedule]
    : undefined;
}
