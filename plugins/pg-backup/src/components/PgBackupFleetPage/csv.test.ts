import { FLEET_CSV_COLUMNS, csvField, fleetCsv, toCsv } from './csv';
import { NOW, fleetEntry } from './fleetEntries.testData';

describe('csvField', () => {
  it('leaves plain text alone', () => {
    expect(csvField('Orders database')).toBe('Orders database');
  });

  it('quotes commas, quotes and line breaks, doubling the quotes', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('line\nbreak')).toBe('"line\nbreak"');
    expect(csvField('cr\rhere')).toBe('"cr\rhere"');
  });

  it.each(['=1+1', '+1', '-1', '@SUM(A1)', '\tx'])(
    'defuses the formula %j with an apostrophe',
    text => {
      expect(csvField(text)).toBe(`'${text}`);
    },
  );

  it('defuses and quotes a formula containing a comma', () => {
    expect(csvField('=HYPERLINK("x",1)')).toBe(`"'=HYPERLINK(""x"",1)"`);
  });

  it('writes numbers and booleans as they are, negative ones included', () => {
    expect(csvField(-1.5)).toBe('-1.5');
    expect(csvField(0)).toBe('0');
    expect(csvField(true)).toBe('true');
    expect(csvField(false)).toBe('false');
  });

  it('leaves unknown and non-finite values empty', () => {
    expect(csvField(undefined)).toBe('');
    expect(csvField(Number.NaN)).toBe('');
  });
});

describe('toCsv', () => {
  it('ends every record with CRLF', () => {
    expect(
      toCsv([
        ['a', 1],
        ['b,c', undefined],
      ]),
    ).toBe('a,1\r\n"b,c",\r\n');
  });
});

describe('fleetCsv', () => {
  it('writes the header and one row per entry with figures in hours and minutes', () => {
    const [header, row, end] = fleetCsv([fleetEntry()], NOW).split('\r\n');
    expect(header).toBe(FLEET_CSV_COLUMNS.join(','));
    expect(header).toBe(
      'database,title,status,summary,recovery_point_time,recovery_point_age_hours,rpo_hours,rpo_met,last_backup_bytes,last_drill_time,last_drill_passed,last_drill_rto_minutes,rto_minutes,verified,drill_compliant,owner,system',
    );
    expect(row).toBe(
      [
        'resource:default/orders-postgresql',
        'Orders database',
        'healthy',
        'Last good backup 5h ago — within RPO 6h',
        '2026-11-24T05:00:00.000Z',
        '5',
        '6',
        'true',
        '3145728',
        '2026-10-01T10:00:00.000Z',
        'true',
        '72',
        '240',
        'true',
        'true',
        'group:default/platform-team',
        'system:default/shop',
      ].join(','),
    );
    expect(end).toBe('');
  });

  it('leaves what is unknown empty and defuses user-controlled text', () => {
    const csv = fleetCsv(
      [
        fleetEntry({
          title: '=cmd|calc',
          summary: 'Could not read S3: "403", retrying',
          recoveryPointTime: undefined,
          rpoMet: undefined,
          lastBackupSize: undefined,
          lastDrill: undefined,
          lastDrillTime: undefined,
          owner: undefined,
          system: undefined,
          status: 'unknown',
          findingCodes: ['fact-unavailable'],
        }),
      ],
      NOW,
    );
    expect(csv.split('\r\n')[1]).toBe(
      `resource:default/orders-postgresql,'=cmd|calc,unknown,"Could not read S3: ""403"", retrying",,,6,,,,,,240,false,false,,`,
    );
  });

  it('rounds the recovery point age to hundredths of an hour', () => {
    const csv = fleetCsv(
      [fleetEntry({ recoveryPointTime: '2026-11-24T08:40:00.000Z' })],
      NOW,
    );
    expect(csv.split('\r\n')[1].split(',')[5]).toBe('1.33');
  });
});
