process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import { BatchClient, DescribeJobsCommand, RegisterJobDefinitionCommand, SubmitJobCommand, type JobDetail } from '@aws-sdk/client-batch';
import {
  CloudWatchLogsClient,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  InvalidParameterException,
  ResourceNotFoundException,
  type GetLogEventsCommandInput,
} from '@aws-sdk/client-cloudwatch-logs';
import { BatchTestServer } from './batchServer';

const GROUP = '/aws/batch/job';
let server: BatchTestServer;
let batch: BatchClient;
let logs: CloudWatchLogsClient;

beforeAll(async () => {
  // Long enough states that a poll reliably sees STARTING, when the stream name exists but the stream does not.
  server = await BatchTestServer.start({ queues: ['q'], stateDelayMs: 60 });
  const config = { endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } };
  batch = new BatchClient(config);
  logs = new CloudWatchLogsClient(config);
  await batch.send(
    new RegisterJobDefinitionCommand({ jobDefinitionName: 'printer', type: 'container', containerProperties: { image: 'node', command: ['true'] } }),
  );
});

afterAll(async () => {
  batch.destroy();
  logs.destroy();
  await server.stop();
});

async function run(script: string, until: (job: JobDetail) => boolean): Promise<JobDetail> {
  const { jobId } = await batch.send(
    new SubmitJobCommand({ jobName: 'printer', jobQueue: 'q', jobDefinition: 'printer', containerOverrides: { command: ['node', '-e', script] } }),
  );
  for (;;) {
    const job = (await batch.send(new DescribeJobsCommand({ jobs: [jobId as string] }))).jobs?.[0];
    if (job !== undefined && until(job)) return job;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const finished = (job: JobDetail): boolean => job.status === 'SUCCEEDED' || job.status === 'FAILED';
const read = (input: Omit<GetLogEventsCommandInput, 'logGroupName'>) => logs.send(new GetLogEventsCommand({ logGroupName: GROUP, ...input }));

test('forward paging ends with the same token; backward paging starts at the newest events', async () => {
  const job = await run('for (let i = 1; i <= 25; i++) console.log("line " + i)', finished);
  const logStreamName = job.container?.logStreamName;
  const forward: string[][] = [];
  let token: string | undefined;
  for (;;) {
    const out = await read({ logStreamName, startFromHead: true, limit: 10, nextToken: token });
    forward.push((out.events ?? []).map((e) => e.message ?? ''));
    if (out.nextForwardToken === token) break;
    token = out.nextForwardToken;
  }
  expect(forward.map((page) => page.length)).toEqual([10, 10, 5, 0]);
  expect(forward.flat()).toEqual(Array.from({ length: 25 }, (_, i) => `line ${i + 1}`));

  // Without a token and without startFromHead, AWS returns the newest events.
  const newest = await read({ logStreamName, limit: 10 });
  expect(newest.events?.map((e) => e.message)).toEqual(Array.from({ length: 10 }, (_, i) => `line ${i + 16}`));
  const older = await read({ logStreamName, limit: 10, nextToken: newest.nextBackwardToken });
  expect(older.events?.[0]?.message).toBe('line 6');
  const oldest = await read({ logStreamName, limit: 10, nextToken: older.nextBackwardToken });
  expect(oldest.events).toHaveLength(5);
  const beyond = await read({ logStreamName, limit: 10, nextToken: oldest.nextBackwardToken });
  expect(beyond.events).toEqual([]);
  expect(beyond.nextBackwardToken).toBe(oldest.nextBackwardToken);
  const event = newest.events?.[0];
  expect(event?.timestamp).toEqual(expect.any(Number));
  expect(event?.ingestionTime).toBeGreaterThanOrEqual(event?.timestamp ?? Infinity);
  await expect(read({ logStreamName, nextToken: 'garbage' })).rejects.toBeInstanceOf(InvalidParameterException);
});

test('a stream does not exist until the container starts; tailing it then sees every line once', async () => {
  const script = 'let i = 0; const t = setInterval(() => { console.log("tick " + ++i); if (i === 8) { clearInterval(t); process.stdout.write("no newline at the end") } }, 15)';
  const starting = await run(script, (job) => job.status !== 'SUBMITTED' && job.status !== 'PENDING' && job.status !== 'RUNNABLE');
  expect(starting.status).toBe('STARTING');
  const logStreamName = starting.container?.logStreamName;
  expect(logStreamName).toMatch(/^printer\/default\/[0-9a-f]{32}$/);
  await expect(read({ logStreamName, startFromHead: true })).rejects.toBeInstanceOf(ResourceNotFoundException);
  await expect(read({ logStreamName: 'printer/default/none' })).rejects.toThrow('The specified log stream does not exist.');
  await expect(logs.send(new GetLogEventsCommand({ logGroupName: '/nope', logStreamName }))).rejects.toThrow(
    'The specified log group does not exist.',
  );

  // The compute plugin's loop: read forward until the job is done and a read returns the same token.
  const seen: string[] = [];
  let token: string | undefined;
  let done = false;
  for (;;) {
    const out = await read({ logStreamName, startFromHead: true, nextToken: token }).catch((error: Error) => {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    });
    seen.push(...(out?.events ?? []).map((e) => e.message ?? ''));
    if (done && out?.nextForwardToken === token) break;
    token = out?.nextForwardToken ?? token;
    const [current] = (await batch.send(new DescribeJobsCommand({ jobs: [starting.jobId as string] }))).jobs ?? [];
    done = current !== undefined && finished(current);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect(seen).toEqual([...Array.from({ length: 8 }, (_, i) => `tick ${i + 1}`), 'no newline at the end']);
});

test('FilterLogEvents, DescribeLogStreams, time windows, empty lines, throttling', async () => {
  const job = await run('console.log("alpha one\\n\\nbeta two"); console.error("alpha three")', finished);
  const logStreamName = job.container?.logStreamName as string;
  const all = await read({ logStreamName, startFromHead: true });
  // Blank lines never reach CloudWatch: a message cannot be empty.
  expect(all.events?.map((e) => e.message).sort()).toEqual(['alpha one', 'alpha three', 'beta two']);

  const filtered = await logs.send(new FilterLogEventsCommand({ logGroupName: GROUP, logStreamNames: [logStreamName], filterPattern: 'alpha' }));
  expect(filtered.events?.map((e) => [e.logStreamName, e.message]).sort()).toEqual([
    [logStreamName, 'alpha one'],
    [logStreamName, 'alpha three'],
  ]);
  expect(filtered.nextToken).toBeUndefined();
  const paged = await logs.send(new FilterLogEventsCommand({ logGroupName: GROUP, logStreamNames: [logStreamName], limit: 2 }));
  expect(paged.events).toHaveLength(2);
  const rest = await logs.send(new FilterLogEventsCommand({ logGroupName: GROUP, logStreamNames: [logStreamName], limit: 2, nextToken: paged.nextToken }));
  expect(rest.events).toHaveLength(1);

  const last = all.events?.[all.events.length - 1]?.timestamp ?? 0;
  const later = await read({ logStreamName, startFromHead: true, startTime: last + 1 });
  expect(later.events).toEqual([]);
  const before = await read({ logStreamName, startFromHead: true, endTime: last + 1 });
  expect(before.events).toHaveLength(3);

  const streams = await logs.send(new DescribeLogStreamsCommand({ logGroupName: GROUP, logStreamNamePrefix: 'printer/default/' }));
  expect(streams.logStreams?.map((s) => s.logStreamName)).toContain(logStreamName);
  const mine = streams.logStreams?.find((s) => s.logStreamName === logStreamName);
  expect(mine?.lastEventTimestamp).toBe(last);
  expect(mine?.arn).toBe(`arn:aws:logs:us-east-1:123456789012:log-group:${GROUP}:log-stream:${logStreamName}`);

  server.throttleNext(1);
  const retried = await read({ logStreamName, startFromHead: true });
  expect(retried.$metadata.attempts).toBe(2);
  expect(retried.events).toHaveLength(3);
});
