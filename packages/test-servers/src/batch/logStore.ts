import { ACCOUNT, resourceNotFound } from './wire';

/** One CloudWatch Logs event, as GetLogEvents returns it (eventId is only shown by FilterLogEvents). */
export interface LogEvent {
  timestamp: number;
  message: string;
  ingestionTime: number;
  eventId: string;
}

export interface LogStream {
  name: string;
  creationTime: number;
  /** In ingestion order, which is also timestamp order: each event is stamped as it is read. */
  events: LogEvent[];
}

export interface LogGroup {
  name: string;
  creationTime: number;
  streams: Map<string, LogStream>;
}

/** Log groups and their streams, written by running jobs and read by the Logs operations. */
export class LogStore {
  private readonly groups = new Map<string, LogGroup>();
  private sequence = 0;

  constructor(private readonly region: string) {}

  createGroup(name: string): void {
    if (!this.groups.has(name)) this.groups.set(name, { name, creationTime: Date.now(), streams: new Map() });
  }

  /** Like the awslogs driver, a stream comes into being when the container starts, not before. */
  createStream(groupName: string, name: string): void {
    const group = this.group(groupName);
    if (!group.streams.has(name)) group.streams.set(name, { name, creationTime: Date.now(), events: [] });
  }

  /**
   * Empty lines are dropped: CloudWatch rejects an empty message, so the awslogs driver never sends
   * one, and a client must not rely on blank lines surviving.
   */
  append(groupName: string, streamName: string, message: string): void {
    if (message === '') return;
    this.createStream(groupName, streamName);
    const now = Date.now();
    const eventId = String(++this.sequence).padStart(56, '0');
    this.stream(groupName, streamName).events.push({ timestamp: now, message, ingestionTime: now, eventId });
  }

  /** By name or by ARN (logGroupIdentifier accepts both, with or without the trailing `:*`). */
  group(nameOrArn: string): LogGroup {
    const name = /^arn:[^:]+:logs:[^:]*:[^:]*:log-group:([^:]+)(:\*)?$/.exec(nameOrArn)?.[1] ?? nameOrArn;
    const group = this.groups.get(name);
    if (group === undefined) throw resourceNotFound('The specified log group does not exist.');
    return group;
  }

  stream(groupName: string, streamName: string): LogStream {
    const stream = this.group(groupName).streams.get(streamName);
    if (stream === undefined) throw resourceNotFound('The specified log stream does not exist.');
    return stream;
  }

  streamArn(group: string, stream: string): string {
    return `arn:aws:logs:${this.region}:${ACCOUNT}:log-group:${group}:log-stream:${stream}`;
  }
}
