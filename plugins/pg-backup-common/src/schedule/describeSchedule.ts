import { descriptorFields } from './cronDescriptors';

const WEEKDAYS = [
  'Sunday',
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
];

const NUMBER = /^\d{1,2}$/;
const STEP = /^\*\/(\d{1,2})$/;

const pad = (n: string) => n.padStart(2, '0');

/**
 * A CronJob schedule in words for people: `0 2 * * *` is "Every day at 02:00 UTC". Schedules
 * without a simple reading are returned as written, so nothing is ever described wrongly.
 *
 * @public
 */
export function describeSchedule(expression: string, timeZone = 'UTC'): string {
  const trimmed = expression.trim();
  const fields = (descriptorFields(trimmed) ?? trimmed).split(/\s+/);
  const words = fields.length === 5 ? inWords(fields) : undefined;
  return words ? `${words} ${timeZone}` : trimmed;
}

function inWords([minute, hour, day, month, weekday]: string[]):
  | string
  | undefined {
  const everyDay = day === '*' && month === '*' && weekday === '*';
  if (!NUMBER.test(minute)) {
    const step = STEP.exec(minute);
    if (step && hour === '*' && everyDay) return `Every ${step[1]} minutes`;
    return undefined;
  }
  const hours = hour.split(',');
  if (hours.every(h => NUMBER.test(h))) {
    const at = hours.map(h => `${pad(h)}:${pad(minute)}`).join(', ');
    if (everyDay) return `Every day at ${at}`;
    if (day === '*' && month === '*' && /^[0-7]$/.test(weekday))
      return `Every ${WEEKDAYS[Number(weekday) % 7]} at ${at}`;
    if (NUMBER.test(day) && month === '*' && weekday === '*')
      return `Monthly on day ${day} at ${at}`;
    return undefined;
  }
  if (!everyDay) return undefined;
  if (hour === '*') return `Every hour at minute ${minute}`;
  const step = STEP.exec(hour);
  if (step) return `Every ${step[1]} hours at minute ${minute}`;
  return undefined;
}
