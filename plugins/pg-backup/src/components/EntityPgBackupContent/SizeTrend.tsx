import {
  BackupEntry,
  formatBytes,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import { useTheme } from '@material-ui/core/styles';

/** A dump under this share of the median size stands out as suspicious. */
export const SUSPICIOUS_SHARE = 0.5;

/** Keys of backups far smaller than the median (an empty or truncated dump). */
export function suspiciousBackups(backups: BackupEntry[]): Set<string> {
  const sizes = backups.map(b => b.size).sort((a, b) => a - b);
  const median = sizes[Math.floor(sizes.length / 2)] ?? 0;
  return new Set(
    backups
      .filter(b => b.size === 0 || b.size < median * SUSPICIOUS_SHARE)
      .map(b => b.key),
  );
}

const WIDTH = 320;
const HEIGHT = 48;

/**
 * Sizes of the listed backups as bars, oldest on the left. Empty or unusually small dumps are
 * drawn in the error colour and named in the label, so a silent failure stands out.
 */
export function SizeTrend(props: { backups: BackupEntry[] }) {
  const theme = useTheme();
  const ordered = [...props.backups].filter(b => b.role === 'backup').reverse();
  if (ordered.length < 2) return null;
  const suspicious = suspiciousBackups(ordered);
  const max = Math.max(...ordered.map(b => b.size), 1);
  const step = WIDTH / ordered.length;
  const newest = ordered[ordered.length - 1];
  const label = `Size of the last ${
    ordered.length
  } backups, newest ${formatBytes(newest.size)}; ${
    suspicious.size === 0
      ? 'none unusually small'
      : `${suspicious.size} unusually small`
  }`;
  return (
    <svg
      role="img"
      aria-label={label}
      width="100%"
      height={HEIGHT}
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      preserveAspectRatio="none"
    >
      <title>{label}</title>
      {ordered.map((backup, index) => {
        const bad = suspicious.has(backup.key);
        const height = bad
          ? HEIGHT
          : Math.max(2, (backup.size / max) * (HEIGHT - 2));
        return (
          <rect
            key={backup.key}
            data-suspicious={bad ? 'true' : undefined}
            x={index * step + 1}
            y={HEIGHT - height}
            width={Math.max(1, step - 2)}
            height={height}
            fill={bad ? theme.palette.error.main : theme.palette.primary.main}
            opacity={bad ? 0.9 : 0.6}
          >
            <title>{`${backup.takenAt}: ${formatBytes(backup.size)}`}</title>
          </rect>
        );
      })}
    </svg>
  );
}
