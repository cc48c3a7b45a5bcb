import { TestApiProvider, renderInTestApp } from '@backstage/test-utils';
import { BackupEntry } from '@pg-backup/backstage-plugin-pg-backup-common';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { PgBackupApi, pgBackupApiRef } from '../../api/PgBackupApi';
import {
  BackupPicker,
  backupPickerValidation,
  pickerEntityRef,
} from './BackupPicker';

const entry = (day: number, complete = true): BackupEntry => ({
  key: `postgresql/daily/qawave_202611${day}_020000.dump`,
  role: 'backup',
  size: 3 * 1024 * 1024,
  takenAt: `2026-11-${day}T02:00:00.000Z`,
  lastModified: `2026-11-${day}T02:01:00.000Z`,
  complete,
  verification: 'passed',
});

function render(
  getBackups: PgBackupApi['getBackups'],
  formData: Record<string, unknown>,
  onChange = jest.fn(),
  required = true,
  uiOptions: Record<string, unknown> = {},
) {
  const props = {
    schema: { title: 'Backup to restore' },
    uiSchema: { 'ui:options': uiOptions },
    idSchema: { $id: 'root_backupKey' },
    formData: undefined,
    formContext: { formData },
    onChange,
    onBlur: jest.fn(),
    onFocus: jest.fn(),
    disabled: false,
    readonly: false,
    required,
    rawErrors: [],
    name: 'backupKey',
  } as any;
  return renderInTestApp(
    <TestApiProvider apis={[[pgBackupApiRef, { getBackups }]]}>
      <BackupPicker {...props} />
    </TestApiProvider>,
  );
}

describe('BackupPicker', () => {
  it("lists the chosen database's backups newest first and returns the key", async () => {
    const getBackups = jest.fn(async () => ({
      items: [entry(24), entry(23, false)],
    }));
    const onChange = jest.fn();
    await render(getBackups, { entity: 'qawave-postgresql' }, onChange);
    expect(getBackups).toHaveBeenCalledWith(
      'resource:default/qawave-postgresql',
      { limit: 50 },
    );
    await userEvent.click(
      await screen.findByRole('button', { name: /Backup to restore/ }),
    );
    const options = within(screen.getByRole('listbox')).getAllByRole('option');
    expect(options.map(o => o.textContent)).toEqual([
      '2026-11-24 02:00 UTC · 3.0 MiB · passed',
      '2026-11-23 02:00 UTC · 3.0 MiB · no manifest: interrupted or made outside pg-backup',
    ]);
    expect(options[1]).toHaveAttribute('aria-disabled', 'true');
    await userEvent.click(options[0]);
    expect(onChange).toHaveBeenCalledWith(
      'postgresql/daily/qawave_20261124_020000.dump',
    );
  });

  it('offers a dump without a manifest when verifying adopts it (allowWithoutManifest)', async () => {
    const onChange = jest.fn();
    await render(
      async () => ({ items: [entry(24), entry(23, false)] }),
      { entity: 'qawave-postgresql' },
      onChange,
      true,
      { allowWithoutManifest: true },
    );
    await userEvent.click(
      await screen.findByRole('button', { name: /Backup to restore/ }),
    );
    const options = within(screen.getByRole('listbox')).getAllByRole('option');
    expect(options[1].textContent).toBe(
      '2026-11-23 02:00 UTC · 3.0 MiB · no manifest: interrupted or made outside pg-backup (verify adopts it)',
    );
    expect(options[1]).not.toHaveAttribute('aria-disabled', 'true');
    await userEvent.click(options[1]);
    expect(onChange).toHaveBeenCalledWith(
      'postgresql/daily/qawave_20261123_020000.dump',
    );
  });

  it('asks for the database first and lists nothing without one', async () => {
    const getBackups = jest.fn();
    await render(getBackups, {});
    expect(
      await screen.findByText(
        'Choose the database first: its backups are listed here.',
      ),
    ).toBeInTheDocument();
    expect(getBackups).not.toHaveBeenCalled();
  });

  it('says truthfully what an empty optional field restores', async () => {
    const unverified = (day: number): BackupEntry => ({
      ...entry(day),
      verification: 'unverified',
    });
    await render(
      async () => ({ items: [unverified(24), entry(23), unverified(22)] }),
      { entity: 'qawave-postgresql' },
      jest.fn(),
      false,
    );
    expect(
      await screen.findByText(
        'Left empty: the newest verified backup (2026-11-23 02:00 UTC · 3.0 MiB · passed).',
      ),
    ).toBeInTheDocument();
  });

  it('says when nothing is verified that an empty field restores the newest complete backup', async () => {
    await render(
      async () => ({
        items: [entry(24, false), { ...entry(23), verification: 'unverified' }],
      }),
      { entity: 'orders-postgresql' },
      jest.fn(),
      false,
    );
    expect(
      await screen.findByText(
        'None of these backups is verified yet. Left empty: the newest complete backup (2026-11-23 02:00 UTC · 3.0 MiB · unverified).',
      ),
    ).toBeInTheDocument();
  });

  it('says why the backups could not be listed', async () => {
    await render(
      async () => {
        throw new Error('403 Forbidden: pg-backup.health.read');
      },
      { entity: 'resource:default/orders-postgresql' },
    );
    expect(
      await screen.findByText(
        'Backups could not be listed: 403 Forbidden: pg-backup.health.read',
      ),
    ).toBeInTheDocument();
  });
});

describe('pickerEntityRef', () => {
  it('reads a fixed entity or the named form field, and names a bad one', () => {
    expect(pickerEntityRef({ entity: 'resource:default/a' }, {})).toEqual({
      ref: 'resource:default/a',
    });
    expect(
      pickerEntityRef({ entityField: 'database' }, { database: 'b' }),
    ).toEqual({ ref: 'resource:default/b' });
    expect(pickerEntityRef(undefined, { entity: 'resource:' })).toEqual({
      problem: '"resource:" is not an entity reference.',
    });
  });
});

describe('backupPickerValidation', () => {
  const check = (value: unknown) => {
    const errors: string[] = [];
    backupPickerValidation(
      value as string,
      { addError: (e: string) => errors.push(e) } as any,
      {} as any,
    );
    return errors;
  };

  it('accepts a dump key and refuses anything else, naming the value', () => {
    expect(check('postgresql/daily/qawave_20261124_020000.dump')).toEqual([]);
    expect(check('')).toEqual(['Choose a backup.']);
    expect(check('postgresql/daily/../../etc/passwd.dump')).toEqual([
      '"postgresql/daily/../../etc/passwd.dump" is not a backup key (a path ending in .dump).',
    ]);
    expect(check('notes.txt')).toEqual([
      '"notes.txt" is not a backup key (a path ending in .dump).',
    ]);
  });
});
