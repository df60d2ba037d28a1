process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import {
  BatchClient,
  CancelJobCommand,
  ClientException,
  DeregisterJobDefinitionCommand,
  DescribeJobDefinitionsCommand,
  DescribeJobQueuesCommand,
  DescribeJobsCommand,
  ListJobsCommand,
  RegisterJobDefinitionCommand,
  SubmitJobCommand,
  TerminateJobCommand,
  type JobDetail,
  type SubmitJobCommandInput,
} from '@aws-sdk/client-batch';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { BatchTestServer } from './batchServer';

const QUEUE = 'test-queue';
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db-password';
let server: BatchTestServer;
let batch: BatchClient;
let logs: CloudWatchLogsClient;

beforeAll(async () => {
  server = await BatchTestServer.start({ queues: [QUEUE, 'other-queue'], stateDelayMs: 20, secrets: { [SECRET_ARN]: 'swordfish' } });
  const config = { endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } };
  batch = new BatchClient(config);
  logs = new CloudWatchLogsClient(config);
  await batch.send(
    new RegisterJobDefinitionCommand({
      jobDefinitionName: 'flowkit-task',
      type: 'container',
      containerProperties: {
        image: 'public.ecr.aws/docker/library/node:20',
        command: ['node', '-e', 'console.log("from the job definition")'],
        environment: [{ name: 'FROM_DEFINITION', value: 'def' }],
        resourceRequirements: [
          { type: 'VCPU', value: '1' },
          { type: 'MEMORY', value: '512' },
        ],
      },
    }),
  );
});

afterAll(async () => {
  batch.destroy();
  logs.destroy();
  await server.stop();
});

async function describe1(jobId: string): Promise<JobDetail> {
  const { jobs } = await batch.send(new DescribeJobsCommand({ jobs: [jobId] }));
  const [job] = jobs ?? [];
  if (job === undefined) throw new Error(`job ${jobId} not found`);
  return job;
}

/** Polls like a compute plugin does, recording every status it saw. */
async function waitDone(jobId: string, seen: string[] = []): Promise<JobDetail> {
  for (;;) {
    const job = await describe1(jobId);
    if (seen[seen.length - 1] !== job.status) seen.push(job.status ?? '');
    if (job.status === 'SUCCEEDED' || job.status === 'FAILED') return job;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function submit(command: string[], extra: Partial<SubmitJobCommandInput> = {}): Promise<string> {
  const { containerOverrides, ...rest } = extra;
  const input = { jobName: 'flowkit-test', jobQueue: QUEUE, jobDefinition: 'flowkit-task', ...rest };
  const out = await batch.send(new SubmitJobCommand({ ...input, containerOverrides: { command, ...containerOverrides } }));
  return out.jobId as string;
}

const LIFECYCLE = ['SUBMITTED', 'PENDING', 'RUNNABLE', 'STARTING', 'RUNNING', 'SUCCEEDED'];

test('a job goes through every state, runs its command and records the result', async () => {
  const script = 'console.log("out 1"); console.error("err 1"); setTimeout(() => console.log("out 2"), 150)';
  const jobId = await submit(['node', '-e', script], {
    containerOverrides: {
      environment: [{ name: 'FROM_OVERRIDE', value: 'o' }],
      resourceRequirements: [{ type: 'MEMORY', value: '1024' }],
    },
    tags: { flow: 'HelloFlow' },
  });
  const seen: string[] = [];
  const job = await waitDone(jobId, seen);
  // Polling can miss a short state, never reorder them; the server's own history has them all.
  expect(LIFECYCLE.filter((s) => seen.includes(s))).toEqual(seen);
  expect(seen).toContain('RUNNING');
  expect(server.jobs().find((j) => j.jobId === jobId)?.statusHistory).toEqual(LIFECYCLE);

  expect(job).toMatchObject({
    jobName: 'flowkit-test',
    status: 'SUCCEEDED',
    statusReason: 'Essential container in task exited',
    jobQueue: expect.stringMatching(/^arn:aws:batch:us-east-1:\d{12}:job-queue\/test-queue$/),
    jobDefinition: expect.stringMatching(/:job-definition\/flowkit-task:1$/),
    tags: { flow: 'HelloFlow' },
    container: {
      image: 'public.ecr.aws/docker/library/node:20',
      exitCode: 0,
      logStreamName: expect.stringMatching(/^flowkit-task\/default\/[0-9a-f]{32}$/),
      environment: [
        { name: 'FROM_DEFINITION', value: 'def' },
        { name: 'FROM_OVERRIDE', value: 'o' },
      ],
      resourceRequirements: [
        { type: 'VCPU', value: '1' },
        { type: 'MEMORY', value: '1024' },
      ],
    },
  });
  expect(job.createdAt).toBeLessThanOrEqual(job.startedAt ?? 0);
  expect(job.startedAt).toBeLessThanOrEqual(job.stoppedAt ?? 0);
  expect(job.attempts).toHaveLength(1);
  expect(job.attempts?.[0]?.container?.taskArn).toMatch(/^arn:aws:ecs:us-east-1:\d{12}:task\//);
  const events = await logs.send(
    new GetLogEventsCommand({ logGroupName: '/aws/batch/job', logStreamName: job.container?.logStreamName, startFromHead: true }),
  );
  expect(events.events?.map((e) => e.message).sort()).toEqual(['err 1', 'out 1', 'out 2']);
});

test('a non-zero exit fails the job with the exit code, and the job definition command is the default', async () => {
  const failing = await submit(['node', '-e', 'process.exit(3)']);
  const plain = await batch.send(new SubmitJobCommand({ jobName: 'plain', jobQueue: QUEUE, jobDefinition: 'flowkit-task:1' }));
  const failed = await waitDone(failing);
  expect(failed).toMatchObject({ status: 'FAILED', statusReason: 'Essential container in task exited', container: { exitCode: 3 } });
  const succeeded = await waitDone(plain.jobId as string);
  expect(succeeded.container?.command).toEqual(['node', '-e', 'console.log("from the job definition")']);
  expect(succeeded.status).toBe('SUCCEEDED');
});

test('a job definition\'s secrets become the container\'s variables; an unknown ARN fails the job to start', async () => {
  const register = (valueFrom: string) =>
    batch.send(
      new RegisterJobDefinitionCommand({
        jobDefinitionName: 'with-secret',
        type: 'container',
        containerProperties: { image: 'node:20', command: ['node', '-e', 'console.log(process.env.DB_PASSWORD)'], secrets: [{ name: 'DB_PASSWORD', valueFrom }] },
      }),
    );
  const known = await register(SECRET_ARN);
  const resolved = await submit([], { jobDefinition: known.jobDefinitionArn });
  expect((await waitDone(resolved)).status).toBe('SUCCEEDED');
  expect(server.jobs().find((j) => j.jobId === resolved)?.processEnv?.DB_PASSWORD).toBe('swordfish');

  const unknown = await register(`${SECRET_ARN}-gone`);
  const failed = await waitDone(await submit([], { jobDefinition: unknown.jobDefinitionArn }));
  expect(failed).toMatchObject({ status: 'FAILED', statusReason: 'Task failed to start' });
  expect(failed.container?.reason).toContain('ResourceInitializationError: unable to pull secrets');
});

test('an unknown queue or job definition is a ClientException with the reason', async () => {
  const unknownQueue = batch.send(new SubmitJobCommand({ jobName: 'x', jobQueue: 'no-such-queue', jobDefinition: 'flowkit-task' }));
  await expect(unknownQueue).rejects.toBeInstanceOf(ClientException);
  await expect(unknownQueue).rejects.toThrow(/JobQueue no-such-queue not found/);
  const unknownDefinition = batch.send(new SubmitJobCommand({ jobName: 'x', jobQueue: QUEUE, jobDefinition: 'nope:7' }));
  await expect(unknownDefinition).rejects.toThrow(/Job definition nope:7 does not exist/);
  const badMemory = submit(['true'], { containerOverrides: { resourceRequirements: [{ type: 'MEMORY', value: '2' }] } });
  await expect(badMemory).rejects.toThrow(/MEMORY value "2" is invalid/);
  const reserved = submit(['true'], { containerOverrides: { environment: [{ name: 'AWS_BATCH_JOB_ID', value: 'x' }] } });
  await expect(reserved).rejects.toBeInstanceOf(ClientException);
  const badName = submit(['true'], { jobName: 'has.dots' });
  await expect(badName).rejects.toThrow(/jobName "has.dots"/);
});

test('job definition revisions, describe and deregister', async () => {
  const second = await batch.send(
    new RegisterJobDefinitionCommand({ jobDefinitionName: 'revised', type: 'container', containerProperties: { image: 'a', command: ['true'] } }),
  );
  const third = await batch.send(
    new RegisterJobDefinitionCommand({ jobDefinitionName: 'revised', type: 'container', containerProperties: { image: 'b', command: ['true'] } }),
  );
  expect([second.revision, third.revision]).toEqual([1, 2]);
  expect(third.jobDefinitionArn).toMatch(/:job-definition\/revised:2$/);
  await batch.send(new DeregisterJobDefinitionCommand({ jobDefinition: third.jobDefinitionArn }));
  const active = await batch.send(new DescribeJobDefinitionsCommand({ jobDefinitionName: 'revised', status: 'ACTIVE' }));
  expect(active.jobDefinitions?.map((d) => [d.revision, d.containerProperties?.image])).toEqual([[1, 'a']]);
  // A bare name now means revision 1, the latest ACTIVE one.
  const jobId = (await batch.send(new SubmitJobCommand({ jobName: 'r', jobQueue: QUEUE, jobDefinition: 'revised' }))).jobId as string;
  expect((await waitDone(jobId)).jobDefinition).toMatch(/revised:1$/);
});

test('ListJobs by status (RUNNING by default), by filter, with pagination', async () => {
  // One after another: ListJobs by filter answers newest first.
  const sleepers: string[] = [];
  for (let i = 0; i < 3; i++) sleepers.push(await submit(['node', '-e', 'setTimeout(() => {}, 60000)'], { jobName: 'sleeper' }));
  await Promise.all(sleepers.map(async (id) => {
    while ((await describe1(id)).status !== 'RUNNING') await new Promise((resolve) => setTimeout(resolve, 5));
  }));
  const running = await batch.send(new ListJobsCommand({ jobQueue: QUEUE }));
  expect(running.jobSummaryList?.map((j) => j.jobId).sort()).toEqual([...sleepers].sort());
  expect((await batch.send(new ListJobsCommand({ jobQueue: 'other-queue', jobStatus: 'RUNNING' }))).jobSummaryList).toEqual([]);

  const first = await batch.send(new ListJobsCommand({ jobQueue: QUEUE, jobStatus: 'RUNNING', maxResults: 2 }));
  expect(first.jobSummaryList).toHaveLength(2);
  const rest = await batch.send(new ListJobsCommand({ jobQueue: QUEUE, jobStatus: 'RUNNING', maxResults: 2, nextToken: first.nextToken }));
  expect(rest.jobSummaryList).toHaveLength(1);
  expect(rest.nextToken).toBeUndefined();

  const byName = await batch.send(new ListJobsCommand({ jobQueue: QUEUE, filters: [{ name: 'JOB_NAME', values: ['SLEEP*'] }] }));
  expect(byName.jobSummaryList?.map((j) => j.jobId)).toEqual([...sleepers].reverse());
  const firstCreated = (await describe1(sleepers[0] as string)).createdAt ?? 0;
  const newer = await batch.send(
    new ListJobsCommand({ jobQueue: QUEUE, filters: [{ name: 'AFTER_CREATED_AT', values: [String(firstCreated - 1)] }] }),
  );
  expect(newer.jobSummaryList?.map((j) => j.jobId)).toEqual(expect.arrayContaining(sleepers));
  const byDefinition = await batch.send(
    new ListJobsCommand({ jobQueue: QUEUE, filters: [{ name: 'JOB_DEFINITION', values: ['nothing-like-it*'] }] }),
  );
  expect(byDefinition.jobSummaryList).toEqual([]);

  for (const jobId of sleepers) await batch.send(new CancelJobCommand({ jobId, reason: 'too late to cancel' }));
  // CancelJob leaves STARTING/RUNNING jobs alone, as AWS does.
  expect((await describe1(sleepers[0] as string)).status).toBe('RUNNING');
  const failed = await batch.send(new ListJobsCommand({ jobQueue: QUEUE, jobStatus: 'FAILED' }));
  expect(failed.jobSummaryList?.some((j) => sleepers.includes(j.jobId as string))).toBe(false);
  for (const jobId of sleepers) await batch.send(new TerminateJobCommand({ jobId, reason: 'done listing' }));
  expect((await waitDone(sleepers[0] as string)).statusReason).toBe('done listing');
});

test('CancelJob fails a job that has not started, with the reason', async () => {
  const jobId = await submit(['node', '-e', '']);
  await batch.send(new CancelJobCommand({ jobId, reason: 'not needed' }));
  const job = await describe1(jobId);
  expect(job).toMatchObject({ status: 'FAILED', statusReason: 'not needed', isCancelled: true });
  expect(job.attempts).toEqual([]);
});

test('throttled requests are retried by the SDK, and a ServerException on submit too', async () => {
  // One throttle only: the SDK's throttling backoff is random up to 500 ms, doubling per retry.
  server.throttleNext(1);
  const before = server.requests().length;
  const queues = await batch.send(new DescribeJobQueuesCommand({}));
  expect(queues.$metadata.attempts).toBe(2);
  expect(server.requests().slice(before)).toEqual(['DescribeJobQueues', 'DescribeJobQueues']);
  expect(queues.jobQueues?.map((q) => [q.jobQueueName, q.state, q.status])).toEqual([
    [QUEUE, 'ENABLED', 'VALID'],
    ['other-queue', 'ENABLED', 'VALID'],
  ]);

  server.failNextSubmit('internal trouble', 'ServerException');
  const retried = await batch.send(new SubmitJobCommand({ jobName: 'again', jobQueue: QUEUE, jobDefinition: 'flowkit-task' }));
  expect(retried.$metadata.attempts).toBe(2);
  server.failNextSubmit('quota exceeded');
  await expect(submit(['true'])).rejects.toThrow('quota exceeded');
});

test('a paused endpoint holds requests until resumed', async () => {
  server.pause();
  let answered = false;
  const pending = batch.send(new DescribeJobQueuesCommand({ jobQueues: [QUEUE] })).then((out) => {
    answered = true;
    return out;
  });
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(answered).toBe(false);
  server.resume();
  expect((await pending).jobQueues?.map((q) => q.jobQueueName)).toEqual([QUEUE]);
});
