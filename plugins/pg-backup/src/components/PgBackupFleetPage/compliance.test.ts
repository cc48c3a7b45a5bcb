import { entryCompliance, fleetCompliance } from './compliance';
import { fleetEntry } from './fleetEntries.testData';

describe('entryCompliance', () => {
  it('counts a database with a recent verified backup and a passed drill as compliant', () => {
    expect(entryCompliance(fleetEntry())).toEqual({
      meetsRpo: true,
      verified: true,
      drillCompliant: true,
    });
  });

  it('meets the RPO only when the backend says so', () => {
    expect(entryCompliance(fleetEntry({ rpoMet: false })).meetsRpo).toBe(false);
    expect(entryCompliance(fleetEntry({ rpoMet: undefined })).meetsRpo).toBe(
      false,
    );
  });

  it.each([
    'backup-never-verified',
    'verification-failed',
    'latest-backup-unverified',
    'no-backups',
    'fact-unavailable',
  ])('is not verified with %s', code => {
    expect(
      entryCompliance(fleetEntry({ findingCodes: ['rpo-exceeded', code] }))
        .verified,
    ).toBe(false);
  });

  it.each([
    'drill-never-run',
    'drill-overdue',
    'drill-failed',
    'drill-rto-exceeded',
  ])('is not drill compliant with %s', code => {
    expect(
      entryCompliance(fleetEntry({ findingCodes: [code] })).drillCompliant,
    ).toBe(false);
  });

  it('is not drill compliant without a recorded drill, e.g. when drill records could not be read', () => {
    const entry = fleetEntry({
      findingCodes: ['fact-unavailable'],
      lastDrill: undefined,
      lastDrillTime: undefined,
    });
    expect(entryCompliance(entry).drillCompliant).toBe(false);
  });

  it('accepts the older time-only drill field', () => {
    const entry = fleetEntry({ lastDrill: undefined });
    expect(entryCompliance(entry).drillCompliant).toBe(true);
  });

  it('keeps other findings out of verification and drills', () => {
    expect(
      entryCompliance(
        fleetEntry({ findingCodes: ['encryption-missing', 'missed-runs'] }),
      ),
    ).toEqual({ meetsRpo: true, verified: true, drillCompliant: true });
  });
});

describe('fleetCompliance', () => {
  it('counts each objective over the fleet', () => {
    expect(
      fleetCompliance([
        fleetEntry(),
        fleetEntry({ rpoMet: false, findingCodes: ['drill-overdue'] }),
        fleetEntry({ findingCodes: ['verification-failed'] }),
      ]),
    ).toEqual({ total: 3, meetsRpo: 2, verified: 2, drillCompliant: 2 });
  });

  it('is all zeros for an empty fleet', () => {
    expect(fleetCompliance([])).toEqual({
      total: 0,
      meetsRpo: 0,
      verified: 0,
      drillCompliant: 0,
    });
  });
});
