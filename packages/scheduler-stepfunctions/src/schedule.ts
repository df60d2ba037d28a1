import { PluginError, makeFlowDecorator, refuseUnknown, type FlowDecorator, type FlowGraph } from '@flowkit/core/plugin';

/*
 * `@schedule` and its checks, without the AWS SDK: a flow that imports it gets this module in its code package
 * (the task module), and `create` turns it into an EventBridge Scheduler schedule (eventbridge.ts).
 */

export interface ScheduleAttributes {
  /** An EventBridge cron expression, `cron(0 12 * * ? *)` or its six fields bare. */
  cron?: string;
  /** At minute 0 of every hour. */
  hourly?: boolean;
  /** At 00:00 every day. */
  daily?: boolean;
  /** At 00:00 every Sunday. */
  weekly?: boolean;
  /** The IANA time zone the expression is read in (default UTC), e.g. `Europe/Paris`. */
  timezone?: string;
}

/** When a deployed flow runs: an EventBridge Scheduler expression and the time zone it is read in. */
export interface Schedule {
  expression: string;
  timezone?: string;
}

/**
 * `@schedule({ cron | hourly | daily | weekly, timezone })` on the flow class: `flowkit step-functions create`
 * makes a schedule that starts the state machine then (exactly one of cron, hourly, daily, weekly).
 */
export const schedule = makeFlowDecorator<ScheduleAttributes>('schedule');

const PRESETS = { hourly: '0 * * * ? *', daily: '0 0 * * ? *', weekly: '0 0 ? * SUN *' } as const;
const EXAMPLE = "e.g. @schedule({ cron: 'cron(0 12 * * ? *)' }) (every day at 12:00), or @schedule({ daily: true })";

/** One field of an AWS cron expression: its range, names, and what else it takes (L, W, #). */
interface CronField {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** Forms beyond numbers, ranges, lists and steps (`15W`, `5L`, `6#3`). */
  special?: RegExp;
}

const FIELDS: CronField[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31, special: /^(L|LW|([1-9]|[12]\d|3[01])W)$/ },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  { name: 'day-of-week', min: 1, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'], special: /^(L|([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)(L|#[1-5]))$/i },
  { name: 'year', min: 1970, max: 2199 },
];

function inRange(field: CronField, text: string): boolean {
  const named = field.names?.indexOf(text.toUpperCase()) ?? -1;
  const value = named >= 0 ? named + 1 : /^\d+$/.test(text) ? Number(text) : NaN;
  return value >= field.min && value <= field.max;
}

/** `*`, a value, a range, each optionally `/step`, or the field's special forms; lists of those. */
function validField(field: CronField, text: string): boolean {
  return text.split(',').every((item) => {
    if (field.special?.test(item)) return true;
    const [range = '', step, ...extra] = item.split('/');
    if (extra.length > 0 || (step !== undefined && !/^[1-9]\d*$/.test(step))) return false;
    if (range === '*') return true;
    const [from = '', to, ...more] = range.split('-');
    return more.length === 0 && inRange(field, from) && (to === undefined || inRange(field, to));
  });
}

/** Why six cron fields are not an EventBridge cron expression, or undefined when they are. */
function cronProblem(fields: string[]): string | undefined {
  if (fields.length !== 6) return `it has ${fields.length} fields, not 6`;
  const [dayOfMonth, dayOfWeek] = [fields[2], fields[4]];
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) return 'exactly one of day-of-month and day-of-week must be ?';
  const bad = FIELDS.findIndex((field, i) => !((i === 2 || i === 4) && fields[i] === '?') && !validField(field, fields[i] as string));
  return bad >= 0 ? `its ${(FIELDS[bad] as CronField).name} field '${fields[bad]}' is not valid` : undefined;
}

/** `cron(...)` as EventBridge takes it, from the expression or its six fields bare. */
function cronExpression(flowName: string, cron: string): string {
  const fields = (/^cron\((.*)\)$/.exec(cron.trim())?.[1] ?? cron).trim().split(/\s+/);
  const problem = cronProblem(fields);
  if (problem) {
    throw new PluginError(`@schedule of ${flowName}: cron '${cron}' is not an EventBridge cron expression (${problem}).`, {
      hint: `six fields, minutes hours day-of-month month day-of-week year, ? in one of the days: ${EXAMPLE}`,
    });
  }
  return `cron(${fields.join(' ')})`;
}

/** An IANA name (`Europe/Paris`, `UTC`) as the Intl database knows it; not an offset such as `+01:00`. */
function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return /^[A-Za-z]/.test(name);
  } catch {
    return false;
  }
}

function timezoneOf(flowName: string, timezone: unknown): string | undefined {
  if (timezone === undefined || (typeof timezone === 'string' && isTimeZone(timezone))) return timezone;
  throw new PluginError(`@schedule of ${flowName}: timezone ${JSON.stringify(timezone)} is not an IANA time zone.`, { hint: "e.g. timezone: 'Europe/Paris' or 'America/New_York' (default UTC)" });
}

/** The schedule `@schedule`'s attributes describe, checked: exactly one of cron, hourly, daily, weekly. */
export function scheduleOf(flowName: string, attributes: Record<string, unknown>): Schedule {
  refuseUnknown('schedule', attributes, ['cron', 'hourly', 'daily', 'weekly', 'timezone']);
  for (const flag of ['hourly', 'daily', 'weekly'] as const) {
    if (attributes[flag] !== undefined && typeof attributes[flag] !== 'boolean') {
      throw new PluginError(`@schedule of ${flowName}: ${flag} is true or false, not ${JSON.stringify(attributes[flag])}.`, { hint: EXAMPLE });
    }
  }
  if (attributes.cron !== undefined && typeof attributes.cron !== 'string') {
    throw new PluginError(`@schedule of ${flowName}: cron is text, not ${JSON.stringify(attributes.cron)}.`, { hint: EXAMPLE });
  }
  const given = (['cron', 'hourly', 'daily', 'weekly'] as const).filter((name) => attributes[name] !== undefined && attributes[name] !== false);
  if (given.length !== 1) {
    const what = given.length === 0 ? 'none' : given.join(' and ');
    throw new PluginError(`@schedule of ${flowName} takes exactly one of cron, hourly, daily, weekly; it was given ${what}.`, { hint: EXAMPLE });
  }
  const chosen = given[0] as 'cron' | keyof typeof PRESETS;
  const expression = chosen === 'cron' ? cronExpression(flowName, attributes.cron as string) : `cron(${PRESETS[chosen]})`;
  const timezone = timezoneOf(flowName, attributes.timezone);
  return timezone === undefined ? { expression } : { expression, timezone };
}

/** `@schedule`'s checks, run wherever the flow's decorators are (a local run too): a bad schedule fails early. */
export const scheduleChecks: FlowDecorator = {
  name: 'schedule',
  validate: (attributes: Record<string, unknown>, graph: FlowGraph) => ({ ...scheduleOf(graph.flowName, attributes) }),
};
