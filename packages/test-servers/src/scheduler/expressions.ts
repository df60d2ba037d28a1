/*
 * Schedule expressions as EventBridge Scheduler accepts them. Written from AWS's documented rules, apart from
 * any client's checks: a client that builds a bad expression must be caught here, as AWS would catch it.
 */

const MONTHS = 'JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC';
const DAYS = 'SUN|MON|TUE|WED|THU|FRI|SAT';

/** Each cron field's values (numbers in range, or names); `/step` and ranges are built around them. */
const CRON_FIELDS: Array<{ min: number; max: number; names?: string; extra?: RegExp }> = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31, extra: /^(L|LW|\d{1,2}W)$/ },
  { min: 1, max: 12, names: MONTHS },
  { min: 1, max: 7, names: DAYS, extra: new RegExp(`^(L|([1-7]|${DAYS})(L|#[1-5]))$`, 'i') },
  { min: 1970, max: 2199 },
];

function value(field: (typeof CRON_FIELDS)[number], text: string): boolean {
  if (field.names && new RegExp(`^(${field.names})$`, 'i').test(text)) return true;
  return /^\d+$/.test(text) && Number(text) >= field.min && Number(text) <= field.max;
}

function cronField(field: (typeof CRON_FIELDS)[number], text: string): boolean {
  return text.split(',').every((item) => {
    if (field.extra?.test(item)) return true;
    const match = /^([^/]+)(\/[1-9]\d*)?$/.exec(item);
    if (!match) return false;
    if (match[1] === '*') return true;
    const bounds = (match[1] as string).split('-');
    return bounds.length <= 2 && bounds.every((bound) => value(field, bound));
  });
}

function validCron(body: string): boolean {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6) return false;
  // Exactly one of day-of-month and day-of-week is `?`.
  if ((fields[2] === '?') === (fields[4] === '?')) return false;
  return CRON_FIELDS.every((field, i) => ((i === 2 || i === 4) && fields[i] === '?') || cronField(field, fields[i] as string));
}

function validRate(body: string): boolean {
  const match = /^([1-9]\d*) (minute|hour|day)(s?)$/.exec(body.trim());
  // One takes the singular unit, more the plural.
  return match !== null && (match[1] === '1') === (match[3] === '');
}

function validAt(body: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(body)) return false;
  const date = new Date(`${body}Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(body);
}

/** True for `cron(<6 fields>)`, `rate(<n> <unit>)` and `at(yyyy-mm-ddThh:mm:ss)`. */
export function validScheduleExpression(expression: string): boolean {
  const match = /^(cron|rate|at)\((.*)\)$/.exec(expression);
  if (!match) return false;
  const body = match[2] as string;
  return match[1] === 'cron' ? validCron(body) : match[1] === 'rate' ? validRate(body) : validAt(body);
}

/** An IANA time zone name, as the Intl database knows it. */
export function validTimezone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return /^[A-Za-z]/.test(name);
  } catch {
    return false;
  }
}
