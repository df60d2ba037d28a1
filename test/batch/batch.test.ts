import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BatchTestServer } from '@flowkit/test-servers';
import { flowkit, project, startUntil } from '../helpers/flowkit';
import { S3TestServer } from '../helpers/s3server';

/**
 * `@batch` end to end: the real `flowkit` binary submits jobs through the real AWS SDK clients to the Batch
 * test server, which runs each job's command as a process in an empty directory with only the job's
 * environment (and the job role's credentials for s3rver), as a container would.
 */
const FLOW = `
import { FlowSpec, Parameter, step, type Inputs } from '@flowkit/core';
import { batch } from '@flowkit/compute-batch';

export default class BatchFlow extends FlowSpec {
  count = Parameter('count', { default: 3 });
  declare items: number[];
  declare squared: number;
  declare where: string;
  declare total: number;

  @step start() {
    this.items = Array.from({ length: this.count }, (_, i) => i + 1);
    this.next(this.square, { foreach: 'items' });
  }
  @batch({ memory: 2048 }) @step square() {
    this.squared = (this.input as number) ** 2;
    this.where = process.env.AWS_BATCH_JOB_ID ? 'batch' : 'local';
    console.log('squared', this.squared, 'secret', process.env.HOST_SECRET_SENTINEL ?? 'none');
    this.next(this.join);
  }
  @step join(inputs: Inputs<BatchFlow>) {
    this.total = inputs.reduce((sum, input) => sum + input.squared, 0);
    this.mergeArtifacts(inputs, { exclude: ['squared', 'where'] });
    this.next(this.end);
  }
  @step end() {
    console.log('total', this.total);
  }
}
`;

/** Faults on a @batch step: a retry, a step that always fails (caught), a long nap, many lines. */
const FAULT_FLOW = `
import { FlowSpec, Parameter, catchError, current, retry, step } from '@flowkit/core';
import { batch } from '@flowkit/compute-batch';

export default class FaultFlow extends FlowSpec {
  mode = Parameter('mode', { default: 'retry' });
  declare failure: unknown;
  declare value: number;

  @step start() {
    this.next(this.work);
  }
  @catchError({ var: 'failure' }) @retry({ times: 1 }) @batch @step async work() {
    console.log('attempt', current.retryCount, 'mode', this.mode);
    if (this.mode === 'retry' && current.retryCount === 0) throw new Error('the first attempt fails');
    if (this.mode === 'fail') throw new Error('every attempt fails');
    // A resumed run does not nap again.
    if (this.mode === 'nap' && current.originRunId === undefined) await new Promise((resolve) => setTimeout(resolve, 120000));
    if (this.mode === 'lines') {
      for (let i = 0; i < 40; i++) {
        console.log('line', i);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
    this.value = 42;
    this.next(this.end);
  }
  @step end() {
    console.log('value', this.value, 'failure', this.failure ? 'caught' : 'none');
  }
}
`;

const QUEUE = 'flowkit-queue';
const REFUSED_IMAGE = 'private.example/not-yours:1';
const SENTINEL = `host-secret-${randomBytes(8).toString('hex')}`;

describe('@batch', () => {
  let s3: S3TestServer;
  let batch: BatchTestServer;
  const { dir, root, env: projectEnv } = project({ 'batch_flow.ts': FLOW, 'fault_flow.ts': FAULT_FLOW });
  let env: Record<string, string>;

  beforeAll(async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    s3 = await S3TestServer.start(['flowkit']);
    batch = await BatchTestServer.start({
      queues: [QUEUE],
      stateDelayMs: 5,
      stopTimeoutMs: 500,
      minimumTimeoutSeconds: 1,
      jobRoleCredentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      refusedImages: [REFUSED_IMAGE],
    });
    env = {
      ...projectEnv,
      ...batch.env(),
      ...s3.env('s3://flowkit/batch'),
      FLOWKIT_DEFAULT_DATASTORE: 's3',
      FLOWKIT_BATCH_JOB_QUEUE: QUEUE,
      FLOWKIT_ECS_S3_ACCESS_IAM_ROLE: 'arn:aws:iam::123456789012:role/flowkit-batch',
      FLOWKIT_BATCH_POLL_SECONDS: '0.05',
      HOST_SECRET_SENTINEL: SENTINEL,
    };
  });
  afterAll(async () => {
    await batch?.stop();
    await s3?.close();
  });

  async function dump(runId: string, step: string): Promise<Record<string, Record<string, unknown>>> {
    const file = join(dir, `${runId}-${step}.json`);
    const result = await flowkit(['dump', 'BatchFlow', `${runId}/${step}`, '--file', file], { cwd: dir, env });
    expect(result.stderr).toBe('');
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>;
  }

  async function run(file: string, args: string[], extraEnv: Record<string, string> = {}) {
    const result = await flowkit(['run', file, '--run-id-file', 'run-id', ...args], { cwd: dir, env: { ...env, ...extraEnv } });
    return { ...result, runId: readFileSync(join(dir, 'run-id'), 'utf8').trim() };
  }

  /** Each task's artifacts but where it ran, in task order. */
  async function artifacts(runId: string): Promise<unknown[]> {
    const steps = await Promise.all(['start', 'square', 'join', 'end'].map((step) => dump(runId, step)));
    return steps.flatMap((tasks) => Object.values(tasks).map(({ where: _where, ...rest }) => rest));
  }

  test('one @batch step runs as jobs and the rest here; --with batch runs every step; artifacts equal a local run', async () => {
    // The same flow without @batch, run here: what every other run must store.
    writeFileSync(join(dir, 'local_flow.ts'), FLOW.replace('@batch({ memory: 2048 }) ', ''));
    const local = await run('local_flow.ts', ['--count', '20']);
    expect(local.code).toBe(0);

    const before = batch.jobs().length;
    const mixed = await run('batch_flow.ts', ['--count', '20']);
    expect([mixed.code, mixed.stderr]).toEqual([0, '']);
    expect(mixed.stdout).toContain('total 2870');
    // State changes and the job's own output stream back under the task's prefix.
    expect(mixed.stdout).toMatch(/square\/\d+ \(batch [0-9a-f-]+\).*AWS Batch job is (RUNNABLE|STARTING|RUNNING)\./);
    expect(mixed.stdout).toMatch(/\(batch [0-9a-f-]+\).*squared 400 secret none/);
    const jobs = batch.jobs().slice(before);
    expect(jobs.length).toBe(20);
    expect(new Set(jobs.map((job) => job.status))).toEqual(new Set(['SUCCEEDED']));
    expect(jobs[0]!.tags).toMatchObject({ 'flowkit.flow': 'BatchFlow', 'flowkit.run': mixed.runId, 'flowkit.step': 'square', 'flowkit.attempt': '0', 'flowkit.user': 'tester' });
    // Nothing of the host's environment reached a job.
    for (const job of jobs) expect(JSON.stringify(job.processEnv)).not.toContain(SENTINEL);
    expect(Object.values(await dump(mixed.runId, 'square')).map((a) => a.where)).toEqual(Array(20).fill('batch'));
    expect(await artifacts(mixed.runId)).toEqual(await artifacts(local.runId));

    const everywhere = await run('batch_flow.ts', ['--count', '20', '--with', 'batch']);
    expect([everywhere.code, everywhere.stderr]).toEqual([0, '']);
    expect(batch.jobs().length - before).toBe(20 + 23);
    expect(await artifacts(everywhere.runId)).toEqual(await artifacts(local.runId));
    const logs = await flowkit(['logs', 'BatchFlow', `${everywhere.runId}/end`], { cwd: dir, env });
    expect(logs.stdout).toContain('total 2870');
  }, 180000);

  const attemptRecord = (runId: string, step: string, attempt: number) => {
    const stepDir = join(root, 'FaultFlow', runId, step);
    const [task] = readdirSync(stepDir).filter((name) => /^\d+$/.test(name));
    return JSON.parse(readFileSync(join(stepDir, task as string, '_meta', `attempt_${attempt}.json`), 'utf8')) as { status: string; error?: string };
  };
  async function eventually<T>(find: () => T | undefined): Promise<T> {
    for (let waited = 0; waited < 60000; waited += 50) {
      const found = find();
      if (found !== undefined) return found;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('gave up waiting');
  }
  const jobsOf = (runId: string, step: string) => batch.jobs().filter((job) => job.tags['flowkit.run'] === runId && job.tags['flowkit.step'] === step);

  test('a failed job is retried as a new job; @catch on the last attempt stores the failure', async () => {
    const retried = await run('fault_flow.ts', ['--mode', 'retry']);
    expect([retried.code, retried.stderr]).toEqual([0, '']);
    expect(retried.stdout).toContain('value 42 failure none');
    expect(jobsOf(retried.runId, 'work').map((job) => [job.tags['flowkit.attempt'], job.status])).toEqual([['0', 'FAILED'], ['1', 'SUCCEEDED']]);
    expect(attemptRecord(retried.runId, 'work', 0)).toMatchObject({ status: 'failed', error: 'Error: the first attempt fails' });
    expect(attemptRecord(retried.runId, 'work', 1).status).toBe('succeeded');

    // The last remote attempt's @catch stores the failure, in the job.
    const caught = await run('fault_flow.ts', ['--mode', 'fail']);
    expect(caught.code).toBe(0);
    expect(caught.stdout).toContain('value undefined failure caught');
    expect(caught.stdout).toMatch(/work\/\d+ \(batch [0-9a-f-]+\)\] @catch caught Error: every attempt fails/);
    expect(jobsOf(caught.runId, 'work').map((job) => job.status)).toEqual(['FAILED', 'SUCCEEDED']);
  }, 120000);

  test('output read while the log API throttles still arrives whole and in order', async () => {
    const running = startUntil(['run', 'fault_flow.ts', '--mode', 'lines'], { cwd: dir, env }, / line 0\n/);
    await running.reached;
    batch.throttleNext(5);
    expect(await running.exited).toBe(0);
    const result = { stdout: running.output() };
    const lines = result.stdout.split('\n').filter((line) => / line \d+$/.test(line)).map((line) => Number(line.split(' ').pop()));
    expect(lines).toEqual(Array.from({ length: 40 }, (_, i) => i));
  }, 120000);

  test('Ctrl-C terminates the running job; the run resumes', async () => {
    const running = startUntil(['run', 'fault_flow.ts', '--mode', 'nap', '--run-id-file', 'nap-id'], { cwd: dir, env }, /work\/\d+ \(batch .*attempt 0 mode nap/);
    await running.reached;
    running.child.kill('SIGINT');
    expect(await running.exited).toBe(130);
    const runId = readFileSync(join(dir, 'nap-id'), 'utf8').trim();
    const [job] = jobsOf(runId, 'work');
    expect(job).toMatchObject({ status: 'FAILED', statusReason: expect.stringContaining('FlowKit') });
    const resumed = await flowkit(['resume', 'fault_flow.ts', '--origin-run-id', runId], { cwd: dir, env });
    expect([resumed.code, resumed.stderr]).toEqual([0, '']);
    expect(resumed.stdout).toContain('value 42 failure none');
  }, 120000);

  test('@timeout terminates the job; an out-of-memory kill says so in the task error', async () => {
    const timedOut = await run('fault_flow.ts', ['--mode', 'nap', '--with', 'timeout:seconds=6']);
    // @catch stores the failure after both attempts timed out.
    expect(timedOut.code).toBe(0);
    expect(jobsOf(timedOut.runId, 'work').map((job) => job.status)).toEqual(['FAILED', 'FAILED']);
    expect(attemptRecord(timedOut.runId, 'work', 0).error).toBe('Task timed out after 6 s');

    // Both remote attempts die of memory; @catch stores why.
    const napping = startUntil(['run', 'fault_flow.ts', '--mode', 'nap', '--run-id-file', 'oom-id'], { cwd: dir, env }, /attempt 0 mode nap/);
    await napping.reached;
    const runId = readFileSync(join(dir, 'oom-id'), 'utf8').trim();
    for (const attempt of ['0', '1']) {
      const job = await eventually(() => jobsOf(runId, 'work').find((j) => j.tags['flowkit.attempt'] === attempt && j.status === 'RUNNING' && napping.output().includes(`attempt ${attempt} mode nap`)));
      batch.outOfMemory(job.jobId);
    }
    expect(await napping.exited).toBe(0);
    expect(attemptRecord(runId, 'work', 0).error).toMatch(/^Task exited with code 137: OutOfMemoryError: Container killed due to memory usage \(job [0-9a-f-]+\)$/);
    // The container died before the task could catch anything: @catch's fallback attempt runs here.
    expect(napping.output()).toMatch(/work\/\d+ \(pid \d+\)\] Task is starting \(retry 2\)/);
    expect(napping.output()).toContain('value undefined failure caught');
  }, 120000);

  test('bad input stops before or at submit with one clear line, and nothing half-recorded', async () => {
    const before = batch.jobs().length;
    const local = await flowkit(['run', 'batch_flow.ts', '--datastore', 'local'], { cwd: dir, env });
    expect(local.code).toBe(1);
    expect(local.stderr).toContain("AWS Batch jobs cannot reach the 'local' datastore, which is on this machine.");
    const memory = await flowkit(['run', 'batch_flow.ts', '--with', 'batch:memory=abc'], { cwd: dir, env });
    expect(memory.code).toBe(1);
    expect(memory.stderr).toContain('@batch: memory="abc" is not valid; memory takes a whole number of MiB, at least 4.');
    expect(batch.jobs().length).toBe(before);

    const queue = await run('batch_flow.ts', ['--with', 'batch:queue=missing', '--count', '1']);
    expect(queue.code).toBe(1);
    expect(queue.stdout + queue.stderr).toMatch(/could not be launched: AWS Batch refused the job \(queue 'missing', image 'node:\d+'\): .*missing/);
    expect(batch.jobs().length).toBe(before);

    const image = await run('batch_flow.ts', ['--with', `batch:image=${REFUSED_IMAGE}`, '--count', '1']);
    expect(image.code).toBe(1);
    expect(image.stdout + image.stderr).toContain(`CannotPullContainerError: Error response from daemon: pull access denied for ${REFUSED_IMAGE}`);
  }, 120000);
});
