import {
  BackupEntry,
  formatBytes,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import Typography from '@material-ui/core/Typography';
import { useTheme } from '@material-ui/core/styles';
import useMeasure from 'react-use/esm/useMeasure';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Cell,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { utcMinute } from '../formatting';

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

const HEIGHT = 180;
/** Width drawn before the container has been measured (and where nothing measures, as in tests). */
const FALLBACK_WIDTH = 640;

type Point = {
  key: string;
  takenAt: string;
  size: number;
  suspicious: boolean;
};

/** "2026-11-24 02:00 UTC · 48.0 MiB", and why a small one stands out. */
function PointTooltip(props: {
  active?: boolean;
  payload?: { payload: Point }[];
}) {
  const theme = useTheme();
  const point = props.active ? props.payload?.[0]?.payload : undefined;
  if (!point) return null;
  return (
    <div
      style={{
        background: theme.palette.background.paper,
        border: `1px solid ${theme.palette.divider}`,
        padding: theme.spacing(1),
      }}
    >
      <Typography variant="body2">{utcMinute(point.takenAt)} UTC</Typography>
      <Typography variant="body2">
        {formatBytes(point.size)}
        {point.suspicious &&
          (point.size === 0 ? ' · empty' : ' · unusually small')}
      </Typography>
    </div>
  );
}

/**
 * Sizes of the listed backups over time, oldest on the left, with a time axis, a size axis and
 * a tooltip per backup. Empty or unusually small dumps are drawn in the error colour (an empty
 * one as a short bar, so it is seen) and counted in the label, so a silent failure stands out.
 */
export function SizeTrend(props: { backups: BackupEntry[] }) {
  const theme = useTheme();
  const [ref, { width }] = useMeasure<HTMLDivElement>();
  const ordered = [...props.backups].filter(b => b.role === 'backup').reverse();
  if (ordered.length < 2) return null;
  const suspicious = suspiciousBackups(ordered);
  const points: Point[] = ordered.map(b => ({
    key: b.key,
    takenAt: b.takenAt,
    size: b.size,
    suspicious: suspicious.has(b.key),
  }));
  const newest = ordered[ordered.length - 1];
  const label = `Size of the last ${
    ordered.length
  } backups, newest ${formatBytes(newest.size)}; ${
    suspicious.size === 0
      ? 'none unusually small'
      : `${suspicious.size} unusually small`
  }`;
  return (
    <div ref={ref} role="img" aria-label={label}>
      <BarChart
        width={width || FALLBACK_WIDTH}
        height={HEIGHT}
        data={points}
        margin={{ top: 8, right: 8, bottom: 0, left: 8 }}
      >
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis
          dataKey="takenAt"
          tickFormatter={(t: string) => utcMinute(t).slice(5, 10)}
          minTickGap={16}
          fontSize={12}
        />
        <YAxis
          tickFormatter={(size: number) => formatBytes(size)}
          width={72}
          fontSize={12}
        />
        <Tooltip content={<PointTooltip />} />
        <Bar dataKey="size" minPointSize={3} isAnimationActive={false}>
          {points.map(point => (
            <Cell
              key={point.key}
              className={point.suspicious ? 'suspicious' : undefined}
              fill={
                point.suspicious
                  ? theme.palette.error.main
                  : theme.palette.primary.main
              }
            />
          ))}
        </Bar>
      </BarChart>
      <Typography variant="caption" color="textSecondary">
        Backup sizes by day (UTC); in red, empty dumps and those under half the
        median size.
      </Typography>
    </div>
  );
}
