export { EntityPgBackupHealthCard } from './EntityPgBackupHealthCard';
