import { Fields } from './fields';
import type { LogEvent, LogStore, LogStream } from './logStore';
import { decodeOffsetToken, invalidParameter, page, type Json } from './wire';

/** The `X-Amz-Target` prefix of every CloudWatch Logs operation. */
export const LOGS_TARGET_PREFIX = 'Logs_20140328.';
export const LOGS_OPERATIONS: ReadonlySet<string> = new Set(['GetLogEvents', 'FilterLogEvents', 'DescribeLogStreams']);

const MAX_EVENTS = 10_000;

/** The read side of CloudWatch Logs over the events the jobs wrote. */
export function handleLogs(store: LogStore, operation: string, input: Json): Json {
  const fields = new Fields(input, invalidParameter);
  switch (operation) {
    case 'GetLogEvents':
      return getLogEvents(store, fields);
    case 'FilterLogEvents':
      return filterLogEvents(store, fields);
    case 'DescribeLogStreams':
      return describeLogStreams(store, fields);
    default:
      throw invalidParameter(`Operation ${operation} is not implemented by the test server.`);
  }
}

function groupName(fields: Fields): string {
  const name = fields.string('logGroupName');
  const identifier = fields.string('logGroupIdentifier');
  if ((name === undefined) === (identifier === undefined)) {
    throw invalidParameter('Specify exactly one of logGroupName and logGroupIdentifier.');
  }
  return (name ?? identifier) as string;
}

/** Events at or after startTime and before endTime, as AWS bounds them. */
function timeWindow(fields: Fields): (event: LogEvent) => boolean {
  const start = fields.integer('startTime', 0);
  const end = fields.integer('endTime', 0);
  return (event) => (start === undefined || event.timestamp >= start) && (end === undefined || event.timestamp < end);
}

/**
 * Tokens are a direction and a position between events: `f/N` reads forward from event N, `b/N`
 * reads backward from just before it. A page that returns nothing hands back the very token it was
 * given, which is how a client reading forward knows it has caught up with the stream.
 */
const formatToken = (direction: 'f' | 'b', position: number): string => `${direction}/${String(position).padStart(56, '0')}/s`;

function getLogEvents(store: LogStore, fields: Fields): Json {
  const stream = store.stream(groupName(fields), fields.requiredString('logStreamName'));
  const inWindow = timeWindow(fields);
  const limit = fields.integer('limit', 1, MAX_EVENTS) ?? MAX_EVENTS;
  const token = fields.string('nextToken');
  let forward: boolean;
  let position: number;
  if (token !== undefined) {
    const match = /^([fb])\/(\d{56})\/s$/.exec(token);
    position = Number(match?.[2]);
    if (match === null || position > stream.events.length) throw invalidParameter('The specified nextToken is invalid.');
    forward = match[1] === 'f';
  } else {
    // Without a token, the default is the newest events (startFromHead false), as in AWS.
    forward = fields.boolean('startFromHead') ?? false;
    position = forward ? 0 : stream.events.length;
  }
  const picked = pick(stream, inWindow, forward, position, limit);
  const first = picked[0];
  const last = picked[picked.length - 1];
  return {
    events: picked.map((i) => {
      const { timestamp, message, ingestionTime } = stream.events[i] as LogEvent;
      return { timestamp, message, ingestionTime };
    }),
    nextForwardToken: formatToken('f', last === undefined ? position : last + 1),
    nextBackwardToken: formatToken('b', first ?? position),
  };
}

/** Indices of up to `limit` events in the window next to `position`, in ascending order either way. */
function pick(stream: LogStream, inWindow: (event: LogEvent) => boolean, forward: boolean, position: number, limit: number): number[] {
  const picked: number[] = [];
  const { events } = stream;
  for (let i = forward ? position : position - 1; i >= 0 && i < events.length && picked.length < limit; i += forward ? 1 : -1) {
    if (inWindow(events[i] as LogEvent)) picked.push(i);
  }
  return forward ? picked : picked.reverse();
}

function filterLogEvents(store: LogStore, fields: Fields): Json {
  const group = store.group(groupName(fields));
  const names = fields.strings('logStreamNames');
  const prefix = fields.string('logStreamNamePrefix');
  if (names !== undefined && prefix !== undefined) {
    throw invalidParameter('logStreamNames and logStreamNamePrefix cannot be specified together.');
  }
  // A stream that does not exist yet is simply not searched, so a client can name a job's stream early.
  const streams = [...group.streams.values()].filter((s) =>
    names !== undefined ? names.includes(s.name) : s.name.startsWith(prefix ?? ''),
  );
  const inWindow = timeWindow(fields);
  const matches = patternMatcher(fields.string('filterPattern') ?? '');
  const events = streams
    .flatMap((stream) => stream.events.filter((e) => inWindow(e) && matches(e.message)).map((event) => ({ stream: stream.name, event })))
    .sort((a, b) => a.event.timestamp - b.event.timestamp || a.event.eventId.localeCompare(b.event.eventId));
  const limit = fields.integer('limit', 1, MAX_EVENTS) ?? MAX_EVENTS;
  const { items, nextToken } = page(events, decodeOffsetToken(fields.string('nextToken'), invalidParameter), limit);
  return {
    events: items.map(({ stream, event }) => ({ logStreamName: stream, ...event })),
    searchedLogStreams: streams.map((s) => ({ logStreamName: s.name, searchedCompletely: true })),
    ...(nextToken !== undefined && { nextToken }),
  };
}

/** The unstructured subset of the filter syntax: every term (or "quoted phrase") must occur. */
function patternMatcher(pattern: string): (message: string) => boolean {
  if (/^\s*[{[]/.test(pattern)) throw invalidParameter('JSON and space-delimited filter patterns are not supported by the test server.');
  const terms = [...pattern.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');
  return (message) => terms.every((term) => message.includes(term));
}

function describeLogStreams(store: LogStore, fields: Fields): Json {
  const groupRef = groupName(fields);
  const group = store.group(groupRef);
  const prefix = fields.string('logStreamNamePrefix') ?? '';
  const orderBy = fields.string('orderBy') ?? 'LogStreamName';
  if (orderBy !== 'LogStreamName' && orderBy !== 'LastEventTime') throw invalidParameter('orderBy must be LogStreamName or LastEventTime.');
  if (orderBy === 'LastEventTime' && prefix !== '') {
    throw invalidParameter('Cannot order by LastEventTime with a logStreamNamePrefix.');
  }
  const lastEvent = (s: LogStream): number => s.events[s.events.length - 1]?.timestamp ?? 0;
  const streams = [...group.streams.values()]
    .filter((s) => s.name.startsWith(prefix))
    .sort((a, b) => (orderBy === 'LogStreamName' ? a.name.localeCompare(b.name) : lastEvent(a) - lastEvent(b)));
  if (fields.boolean('descending') === true) streams.reverse();
  const limit = fields.integer('limit', 1, 50) ?? 50;
  const { items, nextToken } = page(streams, decodeOffsetToken(fields.string('nextToken'), invalidParameter), limit);
  return {
    logStreams: items.map((s) => ({
      logStreamName: s.name,
      creationTime: s.creationTime,
      firstEventTimestamp: s.events[0]?.timestamp,
      lastEventTimestamp: s.events[s.events.length - 1]?.timestamp,
      lastIngestionTime: s.events[s.events.length - 1]?.ingestionTime,
      arn: store.streamArn(group.name, s.name),
      storedBytes: 0,
    })),
    ...(nextToken !== undefined && { nextToken }),
  };
}
