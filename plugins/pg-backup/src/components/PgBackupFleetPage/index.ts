export { PgBackupFleetPage } from './PgBackupFleetPage';
