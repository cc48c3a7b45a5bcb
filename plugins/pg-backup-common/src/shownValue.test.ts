import fc from 'fast-check';
import { SHOWN_VALUE_LENGTH, shownValue } from './shownValue';

describe('shownValue', () => {
  it('keeps ordinary values as they are', () => {
    expect(shownValue('qawave_20261124_020000.dump')).toBe(
      'qawave_20261124_020000.dump',
    );
    expect(shownValue('Zürich ✓')).toBe('Zürich ✓');
  });

  it('cuts long values with an ellipsis, never inside a surrogate pair', () => {
    expect(shownValue('a'.repeat(200))).toBe(`${'a'.repeat(80)}…`);
    expect(shownValue(`${'a'.repeat(79)}😀tail`)).toBe(`${'a'.repeat(79)}…`);
  });

  it('writes line breaks, controls and bidirectional overrides as escapes', () => {
    expect(shownValue('ok\n2026-11-25 level=info forged')).toBe(
      'ok\\u000a2026-11-25 level=info forged',
    );
    expect(shownValue('a\u202eb\u0000c\u2028d\u0085')).toBe(
      'a\\u202eb\\u0000c\\u2028d\\u0085',
    );
  });

  it('never returns a line break, control or bidi character, and is bounded', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), value => {
        const shown = shownValue(value);
        expect(shown).not.toMatch(
          // eslint-disable-next-line no-control-regex -- the characters it must never contain
          /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/,
        );
        // each kept unit grows to at most 6 characters (\uXXXX), plus the ellipsis
        expect(shown.length).toBeLessThanOrEqual(SHOWN_VALUE_LENGTH * 6 + 1);
      }),
      { numRuns: process.env.PG_BACKUP_SOAK ? 20_000 : 2_000 },
    );
  });
});
