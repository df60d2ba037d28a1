import { ACCOUNT, AwsError, decodeOffsetToken, page, type Json } from '../batch/wire';
import { validScheduleExpression, validTimezone } from './expressions';

/** A schedule as GetSchedule returns it (dates as the SDK's epoch seconds). */
export interface Schedule {
  Arn: string;
  Name: string;
  GroupName: string;
  ScheduleExpression: string;
  ScheduleExpressionTimezone?: string;
  State: 'ENABLED' | 'DISABLED';
  Description?: string;
  FlexibleTimeWindow: { Mode: 'OFF' | 'FLEXIBLE'; MaximumWindowInMinutes?: number };
  Target: { Arn: string; RoleArn: string; Input?: string };
  CreationDate: number;
  LastModificationDate: number;
}

const NAME = /^[0-9a-zA-Z-_.]{1,64}$/;
const ROLE_ARN = /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const DEFAULT_GROUP = 'default';

const validation = (message: string) => new AwsError(400, 'ValidationException', message);
const notFound = (message: string) => new AwsError(404, 'ResourceNotFoundException', message);
const now = () => Date.now() / 1000;

function text(input: Json, member: string, check: (value: string) => boolean = () => true): string {
  const value = input[member];
  if (typeof value !== 'string' || value === '') throw validation(`1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must not be null`);
  if (!check(value)) throw validation(`1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint`);
  return value;
}

/** EventBridge Scheduler's schedule operations (restJson1) over schedules in memory; one group, `default`. */
export class SchedulerApi {
  readonly schedules = new Map<string, Schedule>();

  constructor(private readonly region: string) {}

  create(name: string, input: Json): Json {
    const group = this.group(input.GroupName);
    if (this.schedules.has(name)) throw new AwsError(409, 'ConflictException', `Schedule ${name} already exists.`);
    const schedule = this.parse(name, group, input, now());
    this.schedules.set(name, schedule);
    return { ScheduleArn: schedule.Arn };
  }

  /** As on AWS, an update replaces every member: what the request leaves out takes its default. */
  update(name: string, input: Json): Json {
    const existing = this.get(name, input.GroupName);
    const schedule = this.parse(name, existing.GroupName, input, existing.CreationDate);
    this.schedules.set(name, schedule);
    return { ScheduleArn: schedule.Arn };
  }

  get(name: string, groupName: unknown): Schedule {
    this.group(groupName);
    const schedule = this.schedules.get(name);
    if (!schedule) throw notFound(`Schedule ${name} does not exist.`);
    return schedule;
  }

  delete(name: string, groupName: unknown): Json {
    this.get(name, groupName);
    this.schedules.delete(name);
    return {};
  }

  list(query: URLSearchParams): Json {
    const group = query.get('ScheduleGroup');
    const prefix = query.get('NamePrefix') ?? '';
    const state = query.get('State');
    const all = [...this.schedules.values()].filter((s) => (group === null || s.GroupName === group) && s.Name.startsWith(prefix) && (state === null || s.State === state));
    const limit = Number(query.get('MaxResults') ?? 100);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw validation('MaxResults must be from 1 to 100.');
    const { items, nextToken } = page(all, decodeOffsetToken(query.get('NextToken') ?? undefined, validation), limit);
    const summaries = items.map((s) => ({ Arn: s.Arn, Name: s.Name, GroupName: s.GroupName, State: s.State, CreationDate: s.CreationDate, LastModificationDate: s.LastModificationDate, Target: { Arn: s.Target.Arn } }));
    return { Schedules: summaries, NextToken: nextToken };
  }

  private group(groupName: unknown): string {
    const group = groupName === undefined || groupName === null || groupName === '' ? DEFAULT_GROUP : String(groupName);
    if (group !== DEFAULT_GROUP) throw notFound(`Schedule group ${group} does not exist.`);
    return group;
  }

  private parse(name: string, group: string, input: Json, creationDate: number): Schedule {
    if (!NAME.test(name)) throw validation(`1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[0-9a-zA-Z-_.]+$`);
    const expression = text(input, 'ScheduleExpression');
    if (!validScheduleExpression(expression)) throw validation(`Invalid Schedule Expression ${expression}.`);
    const timezone = input.ScheduleExpressionTimezone;
    if (timezone !== undefined && (typeof timezone !== 'string' || !validTimezone(timezone))) throw validation(`Invalid timezone ${String(timezone)}.`);
    const target = (input.Target ?? {}) as Json;
    const window = (input.FlexibleTimeWindow ?? {}) as Json;
    const mode = text(window, 'Mode', (m) => m === 'OFF' || m === 'FLEXIBLE') as 'OFF' | 'FLEXIBLE';
    const minutes = window.MaximumWindowInMinutes;
    if (mode === 'FLEXIBLE' && !(typeof minutes === 'number' && Number.isInteger(minutes) && minutes >= 1 && minutes <= 1440)) {
      throw validation('MaximumWindowInMinutes is required from 1 to 1440 when Mode is FLEXIBLE.');
    }
    const state = input.State ?? 'ENABLED';
    if (state !== 'ENABLED' && state !== 'DISABLED') throw validation(`Value '${String(state)}' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED]`);
    return {
      Arn: `arn:aws:scheduler:${this.region}:${ACCOUNT}:schedule/${group}/${name}`,
      Name: name,
      GroupName: group,
      ScheduleExpression: expression,
      ...(timezone === undefined ? {} : { ScheduleExpressionTimezone: timezone }),
      State: state,
      ...(typeof input.Description === 'string' ? { Description: input.Description } : {}),
      FlexibleTimeWindow: mode === 'OFF' ? { Mode: mode } : { Mode: mode, MaximumWindowInMinutes: minutes as number },
      Target: {
        Arn: text(target, 'Arn'),
        RoleArn: text(target, 'RoleArn', (arn) => ROLE_ARN.test(arn)),
        ...(typeof target.Input === 'string' ? { Input: target.Input } : {}),
      },
      CreationDate: creationDate,
      LastModificationDate: now(),
    };
  }
}
