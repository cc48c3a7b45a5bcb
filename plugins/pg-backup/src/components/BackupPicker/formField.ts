import { createFormField } from '@backstage/plugin-scaffolder-react/alpha';
import { BackupPicker, backupPickerValidation } from './BackupPicker';

/** `BackupPicker` as a new-frontend-system scaffolder form field. */
export const backupPickerFormField = createFormField({
  name: 'BackupPicker',
  component: BackupPicker,
  validation: backupPickerValidation,
});
