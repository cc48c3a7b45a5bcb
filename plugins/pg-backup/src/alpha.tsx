import {
  FrontendPlugin,
  createFrontendPlugin,
} from '@backstage/frontend-plugin-api';
import {
  pgBackupApi,
  pgBackupEntityContent,
  pgBackupFleetPage,
  pgBackupHealthCard,
  pgBackupPickerField,
  routes,
} from './extensions';

/**
 * pg-backup as a new-frontend-system feature: adding the package to the app installs the
 * health card, the Backups tab, the fleet page at `/pg-backup` and the BackupPicker field.
 *
 * @alpha
 */
const pgBackupPlugin: FrontendPlugin = createFrontendPlugin({
  pluginId: 'pg-backup',
  routes,
  extensions: [
    pgBackupApi,
    pgBackupHealthCard,
    pgBackupEntityContent,
    pgBackupFleetPage,
    pgBackupPickerField,
  ],
});
export default pgBackupPlugin;
