import path from 'path';
import { ImageRuntime } from './ImageMap';

/** The image name the manifests in deploy/kubernetes use for the backup agent. */
export const BACKUP_AGENT_IMAGE = 'ghcr.io/qawave/pg-backup-agent';

/**
 * What the backup agent image stands for in the sandbox: the repository (read-only at /app) and
 * its bootstrapped Node 22 (at /opt/node) run `packages/backup-agent/src/cli.ts` through sucrase,
 * next to the host's PostgreSQL client programs. The real image is built from
 * packages/backup-agent/Dockerfile.
 */
export function backupAgentImage(repoRoot: string): ImageRuntime {
  return {
    match: `${BACKUP_AGENT_IMAGE}:*`,
    binds: [
      { host: repoRoot, container: '/app' },
      { host: path.join(repoRoot, '.tools/node'), container: '/opt/node' },
    ],
    path: '/opt/node/bin:/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/bin:/bin',
    entrypoint: [
      '/opt/node/bin/node',
      '-r',
      '/app/node_modules/sucrase/register/ts.js',
      '/app/packages/backup-agent/src/cli.ts',
    ],
    env: { NODE_PATH: '/app/node_modules' },
  };
}
