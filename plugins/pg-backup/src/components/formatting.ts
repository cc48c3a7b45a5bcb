/** The file name of a backup's object key: `qawave_20261124_020000.dump`. */
export const backupFileName = (key: string): string =>
  key.slice(key.lastIndexOf('/') + 1);

/** An ISO time to the minute, for tables: `2026-11-24 02:00` (UTC). */
export const utcMinute = (iso: string): string =>
  new Date(iso).toISOString().replace('T', ' ').slice(0, 16);

/** An ISO time in words, in UTC: `Tue, 24 Nov 2026 02:00:00 GMT`. */
export const utcDate = (iso: string): string => new Date(iso).toUTCString();
