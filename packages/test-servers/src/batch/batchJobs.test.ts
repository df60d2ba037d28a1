process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import {
  BatchClient,
  ClientException,
  DescribeJobsCommand,
  RegisterJobDefinitionCommand,
  SubmitJobCommand,
  TerminateJobCommand,
  type JobDetail,
  type SubmitJobCommandInput,
} from '@aws-sdk/client-batch';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { readFileSync } from 'node:fs';
import { BatchTestServer } from './batchServer';

const QUEUE = 'jobs-queue';
const STOP_TIMEOUT_MS = 300;
let server: BatchTestServer;
let batch: BatchClient;
let logs: CloudWatchLogsClient;

beforeAll(async () => {
  server = await BatchTestServer.start({
    queues: [QUEUE],
    stateDelayMs: 5,
    stopTimeoutMs: STOP_TIMEOUT_MS,
    minimumTimeoutSeconds: 1,
    jobRoleCredentials: { accessKeyId: 'ROLE_KEY', secretAccessKey: 'role-secret' },
  });
  const config = { endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } };
  batch = new BatchClient(config);
  logs = new CloudWatchLogsClient(config);
  const image = 'node:20';
  await batch.send(
    new RegisterJobDefinitionCommand({
      jobDefinitionName: 'task',
      type: 'container',
      containerProperties: { image, command: ['true'], environment: [{ name: 'FROM_DEFINITION', value: 'yes' }] },
    }),
  );
  await batch.send(
    new RegisterJobDefinitionCommand({
      jobDefinitionName: 'task-with-role',
      type: 'container',
      containerProperties: { image, command: ['true'], jobRoleArn: 'arn:aws:iam::123456789012:role/flowkit-task' },
    }),
  );
});

afterAll(async () => {
  batch.destroy();
  logs.destroy();
  await server.stop();
});

async function submit(script: string, extra: Partial<SubmitJobCommandInput> = {}): Promise<string> {
  const out = await batch.send(
    new SubmitJobCommand({ jobName: 'job', jobQueue: QUEUE, jobDefinition: 'task', containerOverrides: { command: ['node', '-e', script] }, ...extra }),
  );
  return out.jobId as string;
}

async function describe1(jobId: string): Promise<JobDetail> {
  const job = (await batch.send(new DescribeJobsCommand({ jobs: [jobId] }))).jobs?.[0];
  if (job === undefined) throw new Error(`job ${jobId} not found`);
  return job;
}

async function waitFor(jobId: string, done: (job: JobDetail) => boolean): Promise<JobDetail> {
  for (;;) {
    const job = await describe1(jobId);
    if (done(job)) return job;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const finished = (job: JobDetail): boolean => job.status === 'SUCCEEDED' || job.status === 'FAILED';

async function lines(logStreamName: string | undefined): Promise<string[]> {
  const out = await logs.send(new GetLogEventsCommand({ logGroupName: '/aws/batch/job', logStreamName, startFromHead: true }));
  return (out.events ?? []).map((e) => e.message ?? '');
}

/** Waits until the job's log shows `line`: proof that the process got as far as printing it. */
async function waitForLine(jobId: string, line: string): Promise<JobDetail> {
  for (;;) {
    const job = await waitFor(jobId, (j) => j.status === 'RUNNING' || finished(j));
    if ((await lines(job.container?.logStreamName)).includes(line)) return job;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A killed process can stay a zombie until init reaps it; that counts as dead. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

test('the job sees only its own environment, the Batch variables and an empty working directory', async () => {
  process.env.SENTINEL_X = 'host-only';
  try {
    const script = 'console.log(JSON.stringify({ env: process.env, cwd: process.cwd(), files: require("fs").readdirSync(".") }))';
    const id = await submit(script, {
      containerOverrides: { command: ['node', '-e', script], environment: [{ name: 'FROM_OVERRIDE', value: 'also' }] },
    });
    const job = await waitFor(id, finished);
    expect(job.status).toBe('SUCCEEDED');
    const [printed] = await lines(job.container?.logStreamName);
    const seen = JSON.parse(printed ?? '{}') as { env: Record<string, string>; cwd: string; files: string[] };
    expect(seen.env.SENTINEL_X).toBeUndefined();
    expect(server.jobs().find((j) => j.jobId === id)?.processEnv?.SENTINEL_X).toBeUndefined();
    expect(seen.env).toMatchObject({
      FROM_DEFINITION: 'yes',
      FROM_OVERRIDE: 'also',
      AWS_BATCH_JOB_ID: id,
      AWS_BATCH_JOB_ATTEMPT: '1',
      AWS_BATCH_JQ_NAME: QUEUE,
      AWS_BATCH_CE_NAME: `${QUEUE}-ce`,
    });
    expect(Object.keys(seen.env).sort()).toEqual(
      ['AWS_BATCH_CE_NAME', 'AWS_BATCH_JOB_ATTEMPT', 'AWS_BATCH_JOB_ID', 'AWS_BATCH_JQ_NAME', 'FROM_DEFINITION', 'FROM_OVERRIDE', 'HOME', 'PATH', 'TMPDIR'],
    );
    expect(seen.files).toEqual([]);
    expect(seen.env.HOME?.startsWith(seen.cwd.replace(/work$/, ''))).toBe(true);
  } finally {
    delete process.env.SENTINEL_X;
  }
});

test('TerminateJob sends SIGTERM to the running process; the job fails with the reason', async () => {
  const jobId = await submit('process.on("SIGTERM", () => { console.log("got SIGTERM"); process.exit(42) }); console.log("ready"); setInterval(() => {}, 1000)');
  await waitForLine(jobId, 'ready');
  await batch.send(new TerminateJobCommand({ jobId, reason: 'stopped by the test' }));
  const job = await waitFor(jobId, finished);
  expect(job).toMatchObject({ status: 'FAILED', statusReason: 'stopped by the test', isTerminated: true, container: { exitCode: 42 } });
  expect(await lines(job.container?.logStreamName)).toEqual(['ready', 'got SIGTERM']);
});

test('a job that ignores SIGTERM is killed, with everything it started, after the stop timeout', async () => {
  const jobId = await submit(
    'process.on("SIGTERM", () => console.log("ignoring SIGTERM")); const c = require("child_process").spawn("sleep", ["60"]); console.log("child " + c.pid); setInterval(() => {}, 1000)',
  );
  let job = await waitFor(jobId, (j) => j.status === 'RUNNING');
  let childPid: number | undefined;
  while (childPid === undefined) {
    const line = (await lines(job.container?.logStreamName)).find((l) => l.startsWith('child '));
    childPid = line === undefined ? undefined : Number(line.slice('child '.length));
  }
  const terminatedAt = Date.now();
  await batch.send(new TerminateJobCommand({ jobId, reason: 'no more waiting' }));
  job = await waitFor(jobId, finished);
  expect(Date.now() - terminatedAt).toBeGreaterThanOrEqual(STOP_TIMEOUT_MS);
  expect(job).toMatchObject({ status: 'FAILED', statusReason: 'no more waiting', container: { exitCode: 137 } });
  expect(await lines(job.container?.logStreamName)).toContain('ignoring SIGTERM');
  expect(alive(childPid)).toBe(false);
});

test('an attempt past timeout.attemptDurationSeconds is stopped and the job fails', async () => {
  const jobId = await submit('setTimeout(() => {}, 60000)', { timeout: { attemptDurationSeconds: 1 } });
  const job = await waitFor(jobId, finished);
  expect(job).toMatchObject({ status: 'FAILED', statusReason: 'Job attempt duration exceeded timeout', container: { exitCode: 143 } });
  expect((job.stoppedAt ?? 0) - (job.startedAt ?? 0)).toBeGreaterThanOrEqual(1000);
  await expect(submit('', { timeout: { attemptDurationSeconds: 0 } })).rejects.toThrow(/at least 1 seconds/);
});

test('reclaimHost kills the container as a lost spot instance; a retry runs it again', async () => {
  // The first attempt waits forever; the second sees AWS_BATCH_JOB_ATTEMPT=2 and succeeds.
  const jobId = await submit('if (process.env.AWS_BATCH_JOB_ATTEMPT === "1") setInterval(() => {}, 1000)', { retryStrategy: { attempts: 2 } });
  const running = await waitFor(jobId, (j) => j.status === 'RUNNING');
  expect(() => server.reclaimHost('not-a-job')).toThrow(/not found/);
  server.reclaimHost(jobId);
  const job = await waitFor(jobId, finished);
  expect(job.status).toBe('SUCCEEDED');
  expect(job.attempts).toHaveLength(2);
  const [lost, second] = job.attempts ?? [];
  expect(lost?.statusReason).toMatch(/^Host EC2 \(instance i-[0-9a-f]{17}\) terminated\.$/);
  expect(lost?.container?.exitCode).toBeUndefined();
  expect(lost?.container?.logStreamName).toBe(running.container?.logStreamName);
  expect(second?.container).toMatchObject({ exitCode: 0 });
  expect(second?.container?.logStreamName).not.toBe(lost?.container?.logStreamName);
  expect(server.jobs().find((j) => j.jobId === jobId)?.statusHistory).toEqual([
    'SUBMITTED', 'PENDING', 'RUNNABLE', 'STARTING', 'RUNNING', 'RUNNABLE', 'STARTING', 'RUNNING', 'SUCCEEDED',
  ]);
  expect(() => server.reclaimHost(jobId)).toThrow(/no container/);
});

test('a command that cannot be executed fails the job as a task that failed to start', async () => {
  const out = await batch.send(
    new SubmitJobCommand({ jobName: 'missing', jobQueue: QUEUE, jobDefinition: 'task', containerOverrides: { command: ['no-such-binary-here', 'x'] } }),
  );
  const job = await waitFor(out.jobId as string, finished);
  expect(job).toMatchObject({ status: 'FAILED', statusReason: 'Task failed to start' });
  expect(job.container?.reason).toMatch(/^CannotStartContainerError: ENOENT/);
  expect(job.container?.exitCode).toBeUndefined();
});

test('size limits: overrides past 8192 characters fail the job, a request past 30 KiB fails the submit', async () => {
  const big = [{ name: 'BIG', value: 'x'.repeat(9000) }];
  const jobId = await submit('', { containerOverrides: { command: ['true'], environment: big } });
  expect(await waitFor(jobId, finished)).toMatchObject({ status: 'FAILED', statusReason: 'Container Overrides length must be at most 8192', attempts: [] });
  const huge = [{ name: 'HUGE', value: 'x'.repeat(31 * 1024) }];
  const tooBig = submit('', { containerOverrides: { command: ['true'], environment: huge } });
  await expect(tooBig).rejects.toBeInstanceOf(ClientException);
  await expect(tooBig).rejects.toThrow(/^Job size must be less than 30 KiB, got 3\d KiB$/);
});

test('a job whose definition has a role gets credentials from the container credentials endpoint', async () => {
  const provider = require.resolve('@aws-sdk/credential-provider-http');
  const script = `Promise.resolve().then(() => require(${JSON.stringify(provider)}).fromHttp()()).then((c) => console.log(c.accessKeyId), (e) => console.log("error " + e.message))`;
  const withRole = await batch.send(
    new SubmitJobCommand({ jobName: 'role', jobQueue: QUEUE, jobDefinition: 'task-with-role', containerOverrides: { command: ['node', '-e', script] } }),
  );
  const roleJob = await waitFor(withRole.jobId as string, finished);
  expect(await lines(roleJob.container?.logStreamName)).toEqual(['ROLE_KEY']);
  const without = await waitFor(await submit(script), finished);
  expect((await lines(without.container?.logStreamName))[0]).toMatch(/^error No HTTP credential provider host/);
});
