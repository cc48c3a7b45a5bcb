import { buildDrillChecklist } from './drillChecklist';

describe('drill checklist', () => {
  it('marks ticked items done, keeps the rest as not done and adds a team’s own items once', () => {
    const list = buildDrillChecklist({
      post: [
        ' Data integrity confirmed ',
        'Dashboards checked',
        'Dashboards checked',
      ],
    });
    expect(list.filter(i => i.done)).toEqual([
      { phase: 'post', item: 'Data integrity confirmed', done: true },
      { phase: 'post', item: 'Dashboards checked', done: true },
    ]);
    expect(list).toHaveLength(16);
    expect(buildDrillChecklist(undefined).every(i => !i.done)).toBe(true);
  });
});
