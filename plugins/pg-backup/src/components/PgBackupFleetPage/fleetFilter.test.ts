import {
  applyFleetFilter,
  compareStatus,
  filterOptions,
  readFleetFilter,
} from './fleetFilter';
import { fleetEntry } from './fleetEntries.testData';

const orders = fleetEntry();
const billing = fleetEntry({
  entityRef: 'resource:default/billing-postgresql',
  status: 'critical',
  owner: 'group:default/payments',
  system: undefined,
});

describe('readFleetFilter', () => {
  it('reads the status, owner and system from the query', () => {
    expect(
      readFleetFilter(
        new URLSearchParams(
          'status=critical&owner=group:default/payments&system=system:default/shop',
        ),
      ),
    ).toEqual({
      status: 'critical',
      owner: 'group:default/payments',
      system: 'system:default/shop',
    });
  });

  it('ignores an unknown status and empty values', () => {
    expect(
      readFleetFilter(new URLSearchParams('status=broken&owner=')),
    ).toEqual({ status: undefined, owner: undefined, system: undefined });
  });
});

describe('applyFleetFilter', () => {
  it('keeps the entries matching every set filter', () => {
    expect(applyFleetFilter([orders, billing], {})).toEqual([orders, billing]);
    expect(applyFleetFilter([orders, billing], { status: 'critical' })).toEqual(
      [billing],
    );
    expect(
      applyFleetFilter([orders, billing], {
        status: 'critical',
        owner: 'group:default/platform-team',
      }),
    ).toEqual([]);
    expect(
      applyFleetFilter([orders, billing], { system: 'system:default/shop' }),
    ).toEqual([orders]);
  });
});

describe('filterOptions', () => {
  it('lists distinct values sorted, with the selected one even if absent', () => {
    expect(filterOptions([orders, billing, orders], 'owner')).toEqual([
      'group:default/payments',
      'group:default/platform-team',
    ]);
    expect(
      filterOptions([orders, billing], 'system', 'system:default/gone'),
    ).toEqual(['system:default/gone', 'system:default/shop']);
  });
});

describe('compareStatus', () => {
  it('orders critical, unknown, warning, healthy', () => {
    const statuses = (['healthy', 'warning', 'critical', 'unknown'] as const)
      .map(status => fleetEntry({ status }))
      .sort(compareStatus)
      .map(entry => entry.status);
    expect(statuses).toEqual(['critical', 'unknown', 'warning', 'healthy']);
  });
});
