export { EntityPgBackupContent } from './EntityPgBackupContent';
