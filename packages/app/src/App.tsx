import { createApp } from '@backstage/frontend-defaults';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import pgBackupPlugin from '@pg-backup/backstage-plugin-pg-backup/alpha';
import { navModule } from './modules/nav';
import { homeModule } from './modules/home';

export default createApp({
  features: [catalogPlugin, pgBackupPlugin, navModule, homeModule],
});
