export {
  BackupPicker,
  backupPickerValidation,
  describeBackup,
  pickerEntityRef,
} from './BackupPicker';
export type { BackupPickerUiOptions } from './BackupPicker';
