import { describeSchedule } from './describeSchedule';

describe('describeSchedule', () => {
  it.each([
    ['0 2 * * *', 'UTC', 'Every day at 02:00 UTC'],
    ['30 1,13 * * *', 'UTC', 'Every day at 01:30, 13:30 UTC'],
    ['0 */6 * * *', 'UTC', 'Every 6 hours at minute 0 UTC'],
    ['15 * * * *', 'UTC', 'Every hour at minute 15 UTC'],
    ['*/10 * * * *', 'UTC', 'Every 10 minutes UTC'],
    ['0 3 * * 0', 'Europe/Berlin', 'Every Sunday at 03:00 Europe/Berlin'],
    ['0 4 1 * *', 'UTC', 'Monthly on day 1 at 04:00 UTC'],
    ['@daily', 'UTC', 'Every day at 00:00 UTC'],
  ])('reads %s in %s as "%s"', (expression, timeZone, words) => {
    expect(describeSchedule(expression, timeZone)).toBe(words);
  });

  it.each([
    '0 2 * 1-6 *',
    '0 2-4 * * *',
    '0 2 * * MON',
    'not a schedule',
    '__proto__',
    'constructor',
  ])('returns %s as written rather than guess', expression => {
    expect(describeSchedule(expression)).toBe(expression);
  });
});
