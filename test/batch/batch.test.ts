import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BatchTestServer } from '@flowkit/test-servers';
import { computeProject, eventually, squareFlow } from '../helpers/compute';
import { flowkit, startUntil } from '../helpers/flowkit';
import { S3TestServer } from '../helpers/s3server';

/**
 * `@batch` end to end: the real `flowkit` binary submits jobs through the real AWS SDK clients to the Batch
 * test server, which runs each job's command as a process in an empty directory with only the job's
 * environment (and the job role's credentials for s3rver), as a container would.
 */
const QUEUE = 'flowkit-queue';
const REFUSED_IMAGE = 'private.example/not-yours:1';
const PLUGIN = { decorator: 'batch', module: '@flowkit/compute-batch', remoteVariable: 'AWS_BATCH_JOB_ID', flowName: 'BatchFlow' };
const SENTINEL = `host-secret-${randomBytes(8).toString('hex')}`;
const AUTH_KEY = `auth-key-${randomBytes(8).toString('hex')}`;
const AUTH_KEY_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:flowkit-auth-key';

describe('@batch', () => {
  let s3: S3TestServer;
  let batch: BatchTestServer;
  let env: Record<string, string>;
  const { dir, env: projectEnv, dump, run, artifacts, attemptRecord } = computeProject(PLUGIN, () => env);

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
      secrets: { [AUTH_KEY_ARN]: AUTH_KEY },
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

  test('one @batch step runs as jobs and the rest here; --with batch runs every step; artifacts equal a local run', async () => {
    // The same flow without @batch, run here: what every other run must store.
    writeFileSync(join(dir, 'local_flow.ts'), squareFlow(PLUGIN).replace('@batch({ memory: 2048 }) ', ''));
    const local = await run('local_flow.ts', ['--count', '20']);
    expect(local.code).toBe(0);

    const before = batch.jobs().length;
    const mixed = await run('square_flow.ts', ['--count', '20']);
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
    expect(Object.values(await dump(mixed.runId, 'square')).map((a) => a.where)).toEqual(Array(20).fill('remote'));
    expect(await artifacts(mixed.runId)).toEqual(await artifacts(local.runId));

    const everywhere = await run('square_flow.ts', ['--count', '20', '--with', 'batch']);
    expect([everywhere.code, everywhere.stderr]).toEqual([0, '']);
    expect(batch.jobs().length - before).toBe(20 + 23);
    expect(await artifacts(everywhere.runId)).toEqual(await artifacts(local.runId));
    const logs = await flowkit(['logs', 'BatchFlow', `${everywhere.runId}/end`], { cwd: dir, env });
    expect(logs.stdout).toContain('total 2870');
  }, 180000);

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
    const sent = batch.received().length;
    const timedOut = await run('fault_flow.ts', ['--mode', 'nap', '--with', 'timeout:seconds=6']);
    // @catch stores the failure after both attempts timed out.
    expect(timedOut.code).toBe(0);
    expect(jobsOf(timedOut.runId, 'work').map((job) => job.status)).toEqual(['FAILED', 'FAILED']);
    expect(attemptRecord(timedOut.runId, 'work', 0).error).toBe('Task timed out after 6 s');
    // Each submit also carried Batch's own stop, for when the scheduler is gone: at least Batch's minimum of 60 s.
    const submits = batch.received().slice(sent).filter((body) => body.includes('"jobQueue"')).map((body) => JSON.parse(body) as { timeout?: unknown; tags: Record<string, string> });
    expect(submits.filter((submit) => submit.tags['flowkit.step'] === 'work').map((submit) => submit.timeout)).toEqual([{ attemptDurationSeconds: 60 }, { attemptDurationSeconds: 60 }]);

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
    const local = await flowkit(['run', 'square_flow.ts', '--datastore', 'local'], { cwd: dir, env });
    expect(local.code).toBe(1);
    expect(local.stderr).toContain("AWS Batch jobs cannot reach the 'local' datastore, which is on this machine.");
    const memory = await flowkit(['run', 'square_flow.ts', '--with', 'batch:memory=abc'], { cwd: dir, env });
    expect(memory.code).toBe(1);
    expect(memory.stderr).toContain('@batch: memory="abc" is not valid; memory takes a whole number of MiB, at least 4.');
    expect(batch.jobs().length).toBe(before);

    const queue = await run('square_flow.ts', ['--with', 'batch:queue=missing', '--count', '1']);
    expect(queue.code).toBe(1);
    expect(queue.stdout + queue.stderr).toMatch(/could not be launched: AWS Batch refused the job \(queue 'missing', image 'node:\d+'\): .*missing/);
    expect(batch.jobs().length).toBe(before);

    const image = await run('square_flow.ts', ['--with', `batch:image=${REFUSED_IMAGE}`, '--count', '1']);
    expect(image.code).toBe(1);
    expect(image.stdout + image.stderr).toContain(`CannotPullContainerError: Error response from daemon: pull access denied for ${REFUSED_IMAGE}`);
  }, 120000);

  test('batch list shows the run\'s unfinished jobs; batch kill terminates them and the run fails saying so', async () => {
    const running = startUntil(['run', 'fault_flow.ts', '--mode', 'nap', '--run-id-file', 'listed-id'], { cwd: dir, env }, /attempt 0 mode nap/);
    await running.reached;
    const runId = readFileSync(join(dir, 'listed-id'), 'utf8').trim();
    const listed = await flowkit(['batch', 'list', '--my-runs'], { cwd: dir, env });
    expect(listed.stderr).toBe('');
    expect(listed.stdout).toMatch(new RegExp(`^[0-9a-f-]+\\s+FaultFlow/${runId}/work/\\d+\\s+0\\s+RUNNING\\s+tester$`, 'm'));
    expect((await flowkit(['batch', 'list', '--user', 'someone-else'], { cwd: dir, env })).stdout).toBe('No unfinished FlowKit jobs match.\n');
    const refused = await flowkit(['batch', 'kill'], { cwd: dir, env });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('batch kill needs to know whose jobs to stop.');

    // Both remote attempts are killed; @catch's fallback stores the failure, which names who killed them.
    for (const attempt of ['0', '1']) {
      await eventually(() => (running.output().includes(`attempt ${attempt} mode nap`) ? true : undefined));
      const killed = await flowkit(['batch', 'kill', '--run-id', runId], { cwd: dir, env });
      expect(killed.stdout).toContain('Terminated 1 job.');
    }
    expect(await running.exited).toBe(0);
    expect(attemptRecord(runId, 'work', 0).error).toContain('Killed with flowkit batch kill by tester');
  }, 120000);

  test('a secret setting reaches jobs by reference only, host-bound settings not at all; no reference: refused before any job', async () => {
    const home = join(dir, 'flowkit-home');
    const sent = batch.received().length;
    const before = batch.jobs().length;
    const secret = { FLOWKIT_SERVICE_AUTH_KEY: AUTH_KEY, FLOWKIT_HOME: home };
    const passed = await run('secret_flow.ts', [], { ...secret, FLOWKIT_BATCH_SECRETS: `FLOWKIT_SERVICE_AUTH_KEY=${AUTH_KEY_ARN}` });
    expect([passed.code, passed.stderr]).toEqual([0, '']);
    expect(passed.stdout).toContain(`key ${createHash('sha256').update(AUTH_KEY).digest('hex')} cache unset home unset`);
    // Neither the key nor a host path is in a job definition or submit request.
    const received = batch.received().slice(sent).join('\n');
    expect(received).toContain(AUTH_KEY_ARN);
    for (const value of [AUTH_KEY, home, env.FLOWKIT_S3_CACHE_DIR as string, env.FLOWKIT_DATASTORE_SYSROOT_LOCAL as string]) expect(received).not.toContain(value);
    expect(batch.jobs().length).toBe(before + 1);

    const refused = await flowkit(['run', 'secret_flow.ts'], { cwd: dir, env: { ...env, ...secret } });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('FLOWKIT_SERVICE_AUTH_KEY is a secret: remote tasks get it only by reference, and none is configured.');
    expect(refused.stderr).toContain('set FLOWKIT_BATCH_SECRETS=FLOWKIT_SERVICE_AUTH_KEY=<its ARN>');
    expect(batch.jobs().length).toBe(before + 1);
  }, 120000);

  test('--package-suffixes ships data files beside the bundle: a job reads them at the same relative paths; .env never goes', async () => {
    // A directory of its own: the project's holds what other tests wrote.
    const flowDir = join(dir, 'packaged');
    mkdirSync(join(flowDir, 'data/nested'), { recursive: true });
    writeFileSync(join(flowDir, 'data/points.csv'), 'x,y\n3,4\n5,12\n');
    writeFileSync(join(flowDir, 'data/nested/scale.json'), '{"factor":10}');
    writeFileSync(join(flowDir, '.env'), `TOKEN=${SENTINEL}`);
    // A loop back to the flow's directory: the walk must not follow it forever.
    symlinkSync('../..', join(flowDir, 'data/nested/loop'));
    writeFileSync(
      join(flowDir, 'package_flow.ts'),
      `
import { existsSync, readFileSync } from 'node:fs';
import { FlowSpec, step } from '@flowkit/core';
import { batch } from '@flowkit/compute-batch';

export default class PackageFlow extends FlowSpec {
  declare total: number;
  @batch @step start() {
    const rows = readFileSync('data/points.csv', 'utf8').trim().split('\\n').slice(1);
    const { factor } = JSON.parse(readFileSync('data/nested/scale.json', 'utf8'));
    this.total = rows.reduce((sum, row) => sum + row.split(',').map(Number).reduce((a, b) => a * b, 1), 0) * factor;
    console.log('total', this.total, 'env file', existsSync('.env') ? 'shipped' : 'absent', 'job', process.env.AWS_BATCH_JOB_ID ? 'yes' : 'no');
    this.next(this.end);
  }
  @step end() {}
}
`,
    );
    const packaged = await run('packaged/package_flow.ts', ['--package-suffixes', '.csv,.json,.env']);
    expect([packaged.code, packaged.stderr]).toEqual([0, '']);
    expect(packaged.stdout).toContain('Code package: the bundle and 2 files by suffix: data/nested/scale.json, data/points.csv.');
    expect(packaged.stdout).toMatch(/start\/\d+ \(batch [0-9a-f-]+\)\] total 720 env file absent job yes/);
    // Stored once, by content, beside the bundle; the .env file's content is in no request either.
    expect((await s3.keys('batch/PackageFlow/_code/')).filter((key) => key.endsWith('.files')).length).toBe(1);
    expect(batch.received().join('\n')).not.toContain(SENTINEL);

    // Without the option the job's directory is empty, as the test server's always is: the step fails there.
    const bare = await run('packaged/package_flow.ts', []);
    expect(bare.code).toBe(1);
    expect(bare.stdout + bare.stderr).toContain("ENOENT: no such file or directory, open 'data/points.csv'");
  }, 120000);

  test('a task\'s code package carries the decorator\'s checks, not the AWS SDK clients', async () => {
    expect((await run('square_flow.ts', ['--count', '1'])).code).toBe(0);
    const packages = (await s3.keys('batch/BatchFlow/_code/')).filter((key) => key.endsWith('.cjs'));
    expect(packages.length).toBeGreaterThan(0);
    for (const key of packages) {
      const code = await s3.text(key);
      expect(code).toContain('@batch needs a job queue.');
      expect(code).not.toMatch(/SubmitJobCommand|GetLogEventsCommand/);
    }
  });
});
