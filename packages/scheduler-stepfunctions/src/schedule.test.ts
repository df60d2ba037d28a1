import { flowDecoratorsOf } from '@flowkit/core/internal';
import { schedule, scheduleOf } from './schedule';

describe('@schedule', () => {
  const of = (attributes: Record<string, unknown>) => scheduleOf('NightlyFlow', attributes);
  const thrown = (attributes: Record<string, unknown>): Error & { hint?: string } => {
    try {
      of(attributes);
    } catch (error) {
      return error as Error;
    }
    throw new Error(`accepted ${JSON.stringify(attributes)}`);
  };
  const problem = (attributes: Record<string, unknown>) => thrown(attributes).message;

  test('is recorded on the flow class with its attributes', () => {
    @schedule({ daily: true, timezone: 'Europe/Paris' })
    class Flow {}
    expect(flowDecoratorsOf(Flow)).toEqual([{ name: 'schedule', attributes: { daily: true, timezone: 'Europe/Paris' } }]);
  });

  test('hourly, daily and weekly are the cron expressions Metaflow uses; cron is taken as cron(...) or its six fields bare', () => {
    expect(of({ hourly: true })).toEqual({ expression: 'cron(0 * * * ? *)' });
    expect(of({ daily: true })).toEqual({ expression: 'cron(0 0 * * ? *)' });
    expect(of({ weekly: true, daily: false })).toEqual({ expression: 'cron(0 0 ? * SUN *)' });
    expect(of({ cron: 'cron(0 12 * * ? *)' })).toEqual({ expression: 'cron(0 12 * * ? *)' });
    expect(of({ cron: ' 0/15  8-17 ? * MON-FRI * ', timezone: 'America/New_York' })).toEqual({ expression: 'cron(0/15 8-17 ? * MON-FRI *)', timezone: 'America/New_York' });
    for (const cron of ['0 0 L * ? 2030', '30 9 ? * 6#3 *', '0 0 15W JAN,JUL ? *', '5,35 */2 1-15 * ? *', '0 18 ? * 6L *', '0 0 ? * 2-6 2026-2030']) {
      expect(of({ cron }).expression).toBe(`cron(${cron})`);
    }
  });

  test('a bad cron expression is refused naming the flow, the value and an example', () => {
    expect(problem({ cron: '0 12 * * *' })).toBe("@schedule of NightlyFlow: cron '0 12 * * *' is not an EventBridge cron expression (it has 5 fields, not 6).");
    expect(problem({ cron: 'cron(0 12 * * * *)' })).toBe("@schedule of NightlyFlow: cron 'cron(0 12 * * * *)' is not an EventBridge cron expression (exactly one of day-of-month and day-of-week must be ?).");
    expect(problem({ cron: '0 12 ? * ? *' })).toContain('exactly one of day-of-month and day-of-week must be ?');
    expect(problem({ cron: '? 12 * * ? *' })).toContain("its minutes field '?' is not valid");
    expect(problem({ cron: '61 12 * * ? *' })).toContain("its minutes field '61' is not valid");
    expect(problem({ cron: '0 24 * * ? *' })).toContain("its hours field '24' is not valid");
    expect(problem({ cron: '0 12 * 13 ? *' })).toContain("its month field '13' is not valid");
    expect(problem({ cron: '0 12 ? * FUNDAY *' })).toContain("its day-of-week field 'FUNDAY' is not valid");
    expect(problem({ cron: '0/0 12 * * ? *' })).toContain("its minutes field '0/0' is not valid");
    expect(problem({ cron: '0 12 * * ? 1969' })).toContain("its year field '1969' is not valid");
    expect(thrown({ cron: 'every day' }).hint).toContain("e.g. @schedule({ cron: 'cron(0 12 * * ? *)' })");
  });

  test('exactly one of cron, hourly, daily, weekly; a time zone from the IANA database; no other attribute', () => {
    expect(problem({ cron: '0 12 * * ? *', daily: true })).toBe('@schedule of NightlyFlow takes exactly one of cron, hourly, daily, weekly; it was given cron and daily.');
    expect(problem({})).toBe('@schedule of NightlyFlow takes exactly one of cron, hourly, daily, weekly; it was given none.');
    expect(problem({ daily: 'yes' })).toBe('@schedule of NightlyFlow: daily is true or false, not "yes".');
    expect(problem({ daily: true, timezone: 'Mars/Olympus' })).toBe('@schedule of NightlyFlow: timezone "Mars/Olympus" is not an IANA time zone.');
    expect(problem({ daily: true, timezone: '+01:00' })).toContain('is not an IANA time zone');
    expect(problem({ daily: true, every: 'day' })).toBe("@schedule has no attribute 'every'.");
    expect(of({ daily: true, timezone: 'UTC' })).toEqual({ expression: 'cron(0 0 * * ? *)', timezone: 'UTC' });
  });
});
