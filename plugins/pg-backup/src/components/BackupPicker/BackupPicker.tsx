import { useApi } from '@backstage/core-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import {
  CustomFieldValidator,
  FieldExtensionComponentProps,
} from '@backstage/plugin-scaffolder-react';
import {
  BackupEntry,
  formatBytes,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import FormControl from '@material-ui/core/FormControl';
import FormHelperText from '@material-ui/core/FormHelperText';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import useAsync from 'react-use/esm/useAsync';
import { pgBackupApiRef } from '../../api/PgBackupApi';
import { utcMinute } from '../formatting';

/** How many of the newest backups the picker offers. */
export const PICKER_LIMIT = 50;

/**
 * `ui:options` of the field.
 *
 * @public
 */
export type BackupPickerUiOptions = {
  /** A fixed database entity ref; otherwise read from the form field `entityField`. */
  entity?: string;
  /** The form field holding the database entity ref (default `entity`). */
  entityField?: string;
  /**
   * Offers dumps without a manifest too (made outside pg-backup, by a `pg_dump` pipeline): the
   * verify template sets it, because verifying such a dump adopts it.
   */
  allowWithoutManifest?: boolean;
};

/** "2026-11-24 02:00 UTC · 48.0 MiB · verified". */
export function describeBackup(backup: BackupEntry): string {
  const when = `${utcMinute(backup.takenAt)} UTC`;
  const state = backup.complete
    ? backup.verification
    : 'no manifest: interrupted or made outside pg-backup';
  return `${when} · ${formatBytes(backup.size)} · ${state}`;
}

/**
 * What an empty optional field restores, as the backend decides it: the newest verified
 * complete backup, else the newest complete one.
 */
export function emptyChoice(items: BackupEntry[]): string {
  const verified = items.find(b => b.complete && b.verification === 'passed');
  if (verified)
    return `Left empty: the newest verified backup (${describeBackup(
      verified,
    )}).`;
  const complete = items.find(b => b.complete);
  if (complete)
    return `None of these backups is verified yet. Left empty: the newest complete backup (${describeBackup(
      complete,
    )}).`;
  return 'None of these backups is complete: there is nothing to restore.';
}

/** The database entity ref the picker lists backups of, or an explanation of what is missing. */
export function pickerEntityRef(
  options: BackupPickerUiOptions | undefined,
  formData: Record<string, unknown> | undefined,
): { ref: string } | { problem: string } {
  const field = options?.entityField ?? 'entity';
  const raw = options?.entity ?? formData?.[field];
  if (typeof raw !== 'string' || raw === '')
    return {
      problem: 'Choose the database first: its backups are listed here.',
    };
  try {
    return {
      ref: stringifyEntityRef(parseEntityRef(raw, { defaultKind: 'resource' })),
    };
  } catch {
    return { problem: `"${raw}" is not an entity reference.` };
  }
}

/**
 * Scaffolder field listing a database's backups, newest first, with their time and size. Only
 * complete backups (with a manifest) can be chosen, unless `allowWithoutManifest`; the value is
 * the backup's object key.
 */
export function BackupPicker(
  props: FieldExtensionComponentProps<string, BackupPickerUiOptions>,
) {
  const api = useApi(pgBackupApiRef);
  const target = pickerEntityRef(
    props.uiSchema?.['ui:options'],
    (props.formContext as { formData?: Record<string, unknown> } | undefined)
      ?.formData,
  );
  const ref = 'ref' in target ? target.ref : undefined;
  const allowWithoutManifest =
    props.uiSchema?.['ui:options']?.allowWithoutManifest === true;
  const backups = useAsync(
    async () =>
      ref ? (await api.getBackups(ref, { limit: PICKER_LIMIT })).items : [],
    [api, ref],
  );
  let helper = props.schema.description ?? 'Newest first.';
  if ('problem' in target) helper = target.problem;
  else if (backups.error)
    helper = `Backups could not be listed: ${backups.error.message}`;
  else if (backups.value?.length === 0)
    helper = 'This database has no backups yet.';
  else if (backups.value && !props.required)
    helper = emptyChoice(backups.value);
  const items = backups.value ?? [];
  const value = props.formData ?? '';
  return (
    <FormControl
      margin="normal"
      required={props.required}
      error={Boolean(props.rawErrors?.length) || Boolean(backups.error)}
      fullWidth
    >
      <TextField
        id={props.idSchema?.$id}
        select
        label={props.schema.title ?? 'Backup'}
        value={items.some(b => b.key === value) ? value : ''}
        onChange={e => props.onChange(e.target.value)}
        disabled={props.disabled || backups.loading || items.length === 0}
        required={props.required}
      >
        {items.map(backup => (
          <MenuItem
            key={backup.key}
            value={backup.key}
            disabled={!backup.complete && !allowWithoutManifest}
          >
            {describeBackup(backup)}
            {!backup.complete && allowWithoutManifest && ' (verify adopts it)'}
          </MenuItem>
        ))}
      </TextField>
      <FormHelperText>
        {backups.loading ? 'Loading backups…' : helper}
      </FormHelperText>
    </FormControl>
  );
}

/** Checks the chosen value is a dump key, before the template's own checks. */
export const backupPickerValidation: CustomFieldValidator<string> = (
  value,
  validation,
) => {
  if (typeof value !== 'string' || value === '') {
    validation.addError('Choose a backup.');
    return;
  }
  // eslint-disable-next-line no-control-regex
  if (!value.endsWith('.dump') || /[\u0000-\u001f\u007f\\]|\.\.\//.test(value))
    validation.addError(
      `"${value.slice(0, 80)}" is not a backup key (a path ending in .dump).`,
    );
};
