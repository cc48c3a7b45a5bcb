export function formatDays(days: number): string {
  return `${Number.isInteger(days) ? days : days.toFixed(1)} day${
    days === 1 ? '' : 's'
  }`;
}

/**
 * Formats a byte count for people: `512 B`, `1.5 KiB`, `3.2 GiB`.
 *
 * @public
 */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0
    ? `${value} B`
    : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
