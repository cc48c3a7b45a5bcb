import { expandVariables } from './expandVariables';

describe('expandVariables', () => {
  const env = { DB: 'qawave', SECRET: 'must-never-leak' };

  it.each([
    ['$(DB)', 'qawave'],
    ['x-$(DB)-y', 'x-qawave-y'],
    ['$(UNKNOWN)', '$(UNKNOWN)'],
    ['$$(SECRET)', '$(SECRET)'],
    ['$$$(DB)', '$qawave'],
    ['a$$b', 'a$b'],
    ['cost $5', 'cost $5'],
    ['$(', '$('],
    ['$', '$'],
    ['$(toString)', '$(toString)'],
  ])('expands %p to %p as Kubernetes does', (value, expanded) => {
    expect(expandVariables(value, env)).toBe(expanded);
  });
});
