import {
  StatusError,
  StatusOK,
  StatusPending,
  StatusRunning,
  StatusWarning,
} from '@backstage/core-components';
import { HealthStatus } from '@pg-backup/backstage-plugin-pg-backup-common';
import Box from '@material-ui/core/Box';
import { ReactNode } from 'react';

const STATUS_LABEL: Record<HealthStatus, string> = {
  healthy: 'Healthy',
  warning: 'Warning',
  critical: 'Critical',
  unknown: 'Unknown',
};

const ICONS = {
  ok: StatusOK,
  warning: StatusWarning,
  error: StatusError,
  pending: StatusPending,
  running: StatusRunning,
};

/**
 * Text after the status icon Backstage uses for its kind. Backstage's status components hide
 * their children from assistive technology, so the text is placed next to the icon instead.
 */
export function StatusText(props: {
  kind: keyof typeof ICONS;
  children: ReactNode;
}) {
  const Icon = ICONS[props.kind];
  return (
    <Box component="span" display="inline-flex" alignItems="center">
      <Icon />
      {props.children}
    </Box>
  );
}

const KIND: Record<HealthStatus, keyof typeof ICONS> = {
  healthy: 'ok',
  warning: 'warning',
  critical: 'error',
  unknown: 'pending',
};

/** The status with the icon Backstage uses for it. */
export function HealthStatusLabel(props: { status: HealthStatus }) {
  return (
    <StatusText kind={KIND[props.status]}>
      {STATUS_LABEL[props.status]}
    </StatusText>
  );
}
