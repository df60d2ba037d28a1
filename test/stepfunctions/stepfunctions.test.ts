import { randomBytes } from 'node:crypto';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { flowkit, project } from '../helpers/flowkit';
import { startService, type TestService } from '../helpers/service';
import { startStepFunctionsStack, type StepFunctionsStack } from '../helpers/stepFunctionsStack';
import { BRANCH_FLOW, INCLUDE_FLOW, LINEAR_FLOW, LONG_STEP_FLOW, NESTED_FOREACH_FLOW, SECRET_FLOW, STOPPED_FLOW, TIMEOUT_FLOW, scheduledFlow } from './flows';

import { expectValidAsl } from './asl';

/**
 * `flowkit step-functions create|trigger|list-runs|delete` end to end: the real CLI deploys through the real
 * SFNClient to the Step Functions test server, whose executions (aws-local-stepfunctions) submit every step as
 * a job to the Batch test server; jobs run the real task entry against s3rver and the metadata service. `@schedule`
 * goes through the real SchedulerClient to the EventBridge Scheduler test server, which fires through the SFN one.
 */
const QUEUE = 'sfn-queue';
const AUTH_KEY = `auth-key-${randomBytes(8).toString('hex')}`;
const AUTH_KEY_ARN = 'arn:aws:ssm:us-east-1:123456789012:parameter/flowkit/auth-key';
const EVENTS_ROLE = 'arn:aws:iam::123456789012:role/flowkit-events';

describe('step-functions', () => {
  let stack: StepFunctionsStack;
  let s3: StepFunctionsStack['s3'];
  let batch: StepFunctionsStack['batch'];
  let sfn: StepFunctionsStack['sfn'];
  let scheduler: StepFunctionsStack['scheduler'];
  /** Takes only calls bearing AUTH_KEY. */
  let authService: TestService;
  let env: Record<string, string>;
  const { dir, root, env: projectEnv } = project({
    'linear_flow.ts': LINEAR_FLOW,
    'branch_flow.ts': BRANCH_FLOW,
    'include_flow.ts': INCLUDE_FLOW,
    'data.csv': 'a,1\nb,2\n',
    'other.csv': 'x,1\ny,2\nz,3\n',
    'nested_flow.ts': NESTED_FOREACH_FLOW,
    'secret_flow.ts': SECRET_FLOW,
    'timeout_flow.ts': TIMEOUT_FLOW,
    'stopped_flow.ts': STOPPED_FLOW,
    'long_step_flow.ts': LONG_STEP_FLOW,
    'no_credentials_flow.ts': scheduledFlow('NoCredentialsFlow', ''),
    'bad_cron_flow.ts': scheduledFlow('BadCronFlow', "@schedule({ cron: '0 12 * * *' })"),
    'bad_timezone_flow.ts': scheduledFlow('BadTimezoneFlow', "@schedule({ daily: true, timezone: 'Mars/Olympus' })"),
    'two_schedules_flow.ts': scheduledFlow('TwoSchedulesFlow', "@schedule({ cron: '0 12 * * ? *', daily: true })"),
    'no_role_flow.ts': scheduledFlow('NoRoleFlow', '@schedule({ weekly: true })'),
    'far_scheduler_flow.ts': scheduledFlow('FarSchedulerFlow', '@schedule({ daily: true })'),
  });

  beforeAll(async () => {
    // A terminated job's bootstrap saves its logs before it exits: give it a grace nearer ECS's 30 s than the stack's.
    stack = await startStepFunctionsStack({ root: 's3://flowkit/sfn', queue: QUEUE, batch: { minimumTimeoutSeconds: 1, stopTimeoutMs: 10000, secrets: { [AUTH_KEY_ARN]: AUTH_KEY } } });
    ({ s3, batch, sfn, scheduler } = stack);
    authService = await startService({ databaseUrl: await stack.postgres.createDatabase('sfn_auth'), authToken: AUTH_KEY });
    env = { ...projectEnv, ...stack.env, FLOWKIT_EVENTS_SFN_ACCESS_IAM_ROLE: EVENTS_ROLE };
  }, 60000);
  afterAll(async () => {
    await authService?.stop();
    await stack?.stop();
  });

  const cli = (args: string[], extra: Record<string, string> = {}) => flowkit(args, { cwd: dir, env: { ...env, ...extra } });

  /** Deploys the flow; what create printed. */
  async function create(file: string, args: string[] = []): Promise<string> {
    const created = await cli(['step-functions', 'create', file, ...args]);
    expect([created.code, created.stderr]).toEqual([0, '']);
    expect(created.stdout).toMatch(/State machine \w+ for \w+ is deployed: arn:aws:states:/);
    return created.stdout;
  }

  /** Triggers a run and waits for its execution to end. */
  async function trigger(file: string, args: string[] = []) {
    const started = await cli(['step-functions', 'trigger', file, ...args]);
    expect([started.code, started.stderr]).toEqual([0, '']);
    const runId = (/Run (sfn-[0-9a-f-]+) /.exec(started.stdout) as RegExpExecArray)[1] as string;
    return settled((e) => `sfn-${e.name}` === runId);
  }

  /** The execution (found by `which`) once it has ended, with its run id. */
  async function settled(which: (execution: ReturnType<StepFunctionsTestServer['executions']>[number]) => boolean) {
    const execution = sfn.executions().find(which);
    await execution?.settled;
    return { runId: `sfn-${execution?.name}`, execution: execution as NonNullable<typeof execution> };
  }

  async function localRun(file: string, args: string[] = []): Promise<string> {
    const result = await cli(['run', file, '--run-id-file', `${file}.id`, ...args]);
    expect(result.code).toBe(0);
    return readFileSync(join(dir, `${file}.id`), 'utf8').trim();
  }

  /** A run's artifacts: per step, its tasks' values sorted (task ids differ between runtimes), stack traces left out (paths differ). One dump per run. */
  async function artifacts(flow: string, runId: string): Promise<Record<string, string[]>> {
    const file = join(dir, `${flow}-${runId}.json`);
    const dumped = await cli(['dump', flow, runId, '--file', file]);
    expect(dumped.stderr).toBe('');
    const steps: Record<string, string[]> = {};
    for (const [pathspec, values] of Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)) {
      (steps[pathspec.split('/')[2] as string] ??= []).push(JSON.stringify(values, (key, value: unknown) => (key === 'stack' ? undefined : value)));
    }
    return Object.fromEntries(Object.entries(steps).map(([step, tasks]) => [step, tasks.sort()]));
  }

  const jobsOf = (runId: string, step: string) => batch.jobs().filter((job) => job.tags['flowkit.run'] === runId && job.tags['flowkit.step'] === step);

  test.concurrent('linear: a failing step is retried by the state machine with its attempt number, @catch stores the failure; a failed run ends recorded failed; list-runs and delete', async () => {
    await create('linear_flow.ts', ['--greeting', 'hello', '--tag', 'nightly']);
    const definition = sfn.definition('LinearFlow');
    expectValidAsl(definition);
    const [retried, failed, local] = await Promise.all([
      trigger('linear_flow.ts'),
      trigger('linear_flow.ts', ['--mode', 'fail']),
      localRun('linear_flow.ts', ['--greeting', 'hello']),
    ]);

    expect(retried.execution.status).toBe('SUCCEEDED');
    expect(jobsOf(retried.runId, 'work').map((job) => [job.tags['flowkit.attempt'], job.status])).toEqual([['0', 'FAILED'], ['1', 'SUCCEEDED']]);
    const stored = await artifacts('LinearFlow', retried.runId);
    expect(stored.end).toEqual([expect.stringContaining('"message":"hello after 2"')]);
    expect(stored).toEqual(await artifacts('LinearFlow', local));

    // As locally, the last attempt's @catch handles the error in its own job; a fallback job runs only for a job that died.
    expect(jobsOf(retried.runId, 'guarded').map((job) => [job.tags['flowkit.attempt'], job.status])).toEqual([['0', 'SUCCEEDED']]);
    expect(stored.end).toEqual([expect.stringMatching(/"failure":\{.*guarded fails/)]);

    expect(failed.execution).toMatchObject({ status: 'FAILED', error: 'FlowKit.RunFailed' });
    expect(jobsOf(failed.runId, 'end').map((job) => job.status)).toEqual(['FAILED']);
    expect(jobsOf(failed.runId, 'failed').map((job) => job.status)).toEqual(['SUCCEEDED']);
    const status = await cli(['list', 'runs', 'LinearFlow']);
    expect(status.stdout).toMatch(new RegExp(`${retried.runId}.*succeeded`, 'i'));
    expect(status.stdout).toMatch(new RegExp(`${failed.runId}.*failed`, 'i'));

    const all = await cli(['step-functions', 'list-runs', 'linear_flow.ts']);
    expect(all.stdout).toMatch(new RegExp(`${retried.runId}\\s+SUCCEEDED`));
    expect(all.stdout).toMatch(new RegExp(`${failed.runId}\\s+FAILED`));
    const onlyFailed = await cli(['step-functions', 'list-runs', 'linear_flow.ts', '--failed']);
    expect(onlyFailed.stdout).toContain(failed.runId);
    expect(onlyFailed.stdout).not.toContain(retried.runId);

    const deleted = await cli(['step-functions', 'delete', 'linear_flow.ts']);
    expect([deleted.code, deleted.stdout]).toEqual([0, 'State machine LinearFlow is deleted; runs already started keep their records.\n']);
    const gone = await cli(['step-functions', 'trigger', 'linear_flow.ts']);
    expect([gone.code, gone.stderr.split('\n')[0]]).toEqual([1, 'No state machine named LinearFlow is deployed.']);
  }, 240000);

  /** Pids of the processes (on this Linux machine) that belong to a job: its container's environment names it. */
  const processesOf = (jobId: string) =>
    readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`AWS_BATCH_JOB_ID=${jobId}`);
        } catch {
          return false; // gone, or not ours to read
        }
      });

  test.concurrent('@timeout: the job stops its task when the time is up, the attempt is recorded timed out, @retry retries it and @catch catches it; no job process is left', async () => {
    await create('timeout_flow.ts');
    const started = Date.now();
    const run = await trigger('timeout_flow.ts');
    expect(run.execution.status).toBe('SUCCEEDED');
    // Two attempts of 5 s each (the step would block for 300 s), the fallback, and the other steps.
    expect(Date.now() - started).toBeLessThan(120000);
    const slow = jobsOf(run.runId, 'slow');
    expect(slow.map((job) => [job.tags['flowkit.attempt'], job.status])).toEqual([['0', 'FAILED'], ['1', 'FAILED'], ['2', 'SUCCEEDED']]);
    for (const job of slow) expect(processesOf(job.jobId)).toEqual([]);

    for (const attempt of ['0', '1']) {
      const stdout = await cli(['logs', 'TimeoutFlow', `${run.runId}/slow/t`, '--attempt', attempt]);
      expect(stdout.stdout).toContain(`sleeping, attempt ${attempt}`);
      const stderr = await cli(['logs', 'TimeoutFlow', `${run.runId}/slow/t`, '--attempt', attempt, '--stderr']);
      expect(stderr.stdout).toContain('FlowKit: the task timed out after 5 s.');
    }
    const ended = await cli(['logs', 'TimeoutFlow', `${run.runId}/end`]);
    expect(ended.stdout).toContain('caught Task kept failing over 2 attempts; the last one: Task timed out after 5 s.');
    const runs = await cli(['list', 'runs', 'TimeoutFlow']);
    expect(runs.stdout).toMatch(new RegExp(`${run.runId}.*succeeded`, 'i'));
  }, 240000);

  /** Waits until a job of the run's step runs. */
  async function running(runId: string, step: string): Promise<void> {
    while (!jobsOf(runId, step).some((job) => job.status === 'RUNNING')) await new Promise((resolve) => setTimeout(resolve, 100));
  }

  test.concurrent('--workflow-timeout and terminate: the execution ends, its job is terminated, the run is recorded failed (by list-runs, by terminate) and resumes locally', async () => {
    await create('stopped_flow.ts', ['--workflow-timeout', '20']);
    expect(sfn.definition('StoppedFlow')).toMatchObject({ TimeoutSeconds: 20 });
    const timedOut = await trigger('stopped_flow.ts');
    expect(timedOut.execution).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
    // No state runs after an execution timeout: nothing in the state machine recorded the run's end.
    expect((await cli(['list', 'runs', 'StoppedFlow'])).stdout).toMatch(new RegExp(`${timedOut.runId}.*running or stopped`));
    const listed = await cli(['step-functions', 'list-runs', 'stopped_flow.ts']);
    expect(listed.stdout).toMatch(new RegExp(`${timedOut.runId}\\s+TIMED_OUT`));
    expect(listed.stdout).toContain(`Run ${timedOut.runId} ended on Step Functions without recording it: recorded failed.`);
    expect((await cli(['list', 'runs', 'StoppedFlow'])).stdout).toMatch(new RegExp(`${timedOut.runId}.*failed`));
    // Settled once: listing again records nothing. A timed-out run is a failed one.
    expect((await cli(['step-functions', 'list-runs', 'stopped_flow.ts'])).stdout).not.toContain('recorded failed');
    expect((await cli(['step-functions', 'list-runs', 'stopped_flow.ts', '--failed'])).stdout).toMatch(new RegExp(`${timedOut.runId}\\s+TIMED_OUT`));
    expect((await cli(['step-functions', 'list-runs', 'stopped_flow.ts', '--running'])).stdout).toBe('No runs of StoppedFlow on Step Functions match.\n');

    // Another deployment of the flow (a prefix names its state machine), without a timeout, stopped by hand.
    const other = { FLOWKIT_SFN_STATE_MACHINE_PREFIX: 'Manual' };
    expect((await cli(['step-functions', 'create', 'stopped_flow.ts'], other)).code).toBe(0);
    const started = await cli(['step-functions', 'trigger', 'stopped_flow.ts'], other);
    const runId = (/Run (sfn-[0-9a-f-]+) /.exec(started.stdout) as RegExpExecArray)[1] as string;
    await running(runId, 'slow');
    const terminated = await cli(['step-functions', 'terminate', 'stopped_flow.ts', runId], other);
    expect([terminated.code, terminated.stdout, terminated.stderr]).toEqual([0, `Run ${runId} of StoppedFlow is terminated (Step Functions stops its jobs) and recorded failed.\n`, '']);
    const stopped = await settled((e) => `sfn-${e.name}` === runId);
    expect(stopped.execution).toMatchObject({ status: 'ABORTED', error: 'FlowKit.Terminated' });
    expect((await cli(['list', 'runs', 'StoppedFlow'])).stdout).toMatch(new RegExp(`${runId}.*failed`));
    const again = await cli(['step-functions', 'terminate', 'stopped_flow.ts', runId], other);
    expect([again.code, again.stderr.split('\n')[0]]).toEqual([1, `Run ${runId} of StoppedFlow is not running: it ended ABORTED.`]);
    const unknown = await cli(['step-functions', 'terminate', 'stopped_flow.ts', '42'], other);
    expect([unknown.code, unknown.stderr.split('\n')[0]]).toEqual([1, "'42' is not the id of a run started on Step Functions (those begin with sfn-)."]);

    // Each run's slow job was terminated by Step Functions and left no process; its attempt says it was killed.
    for (const run of [timedOut.runId, runId]) {
      const [slow] = jobsOf(run, 'slow');
      while (slow && jobsOf(run, 'slow')[0]?.status !== 'FAILED') await new Promise((resolve) => setTimeout(resolve, 100));
      expect(jobsOf(run, 'slow')[0]?.statusReason).toMatch(/^The Task state in AWS Step Functions execution \[arn:aws:states:.*\] which was managing this resource was aborted$/);
      expect(processesOf(slow?.jobId as string)).toEqual([]);
      const stderr = await cli(['logs', 'StoppedFlow', `${run}/slow/t`, '--stderr']);
      expect(stderr.stdout).toContain('FlowKit: the task was killed by SIGTERM.');
    }

    // A run recorded failed resumes here: start is cloned, slow and end run locally.
    const resumed = await cli(['resume', 'stopped_flow.ts', '--origin-run-id', timedOut.runId]);
    expect([resumed.code, resumed.stderr]).toEqual([0, expect.not.stringContaining('rror')]);
    expect(resumed.stdout).toContain(`Cloned the finished task ${timedOut.runId}/start/t.`);
    expect(resumed.stdout).toContain('done start,slow');
  }, 240000);

  test.concurrent('a service that fails silent runs after 2 s: a run the engine drives is never failed for want of a scheduler, its 8 s task keeps itself alive', async () => {
    const reaping = await startService({ databaseUrl: await stack.postgres.createDatabase('sfn_heartbeats'), heartbeatTimeout: 2 });
    try {
      const service = { FLOWKIT_SERVICE_URL: reaping.url, FLOWKIT_HEARTBEAT_SECONDS: '0.5' };
      const created = await cli(['step-functions', 'create', 'long_step_flow.ts'], service);
      expect([created.code, created.stderr]).toEqual([0, '']);
      const started = await cli(['step-functions', 'trigger', 'long_step_flow.ts'], service);
      expect([started.code, started.stderr]).toEqual([0, '']);
      const runId = (/Run (sfn-[0-9a-f-]+) /.exec(started.stdout) as RegExpExecArray)[1] as string;
      const execution = sfn.executions().find((e) => `sfn-${e.name}` === runId);
      // What the service says of the run and its nap task, every 0.5 s while the execution runs.
      const seen = new Set<string>();
      let ended = false;
      void execution?.settled.then(() => (ended = true));
      while (!ended) {
        const run = await fetch(`${reaping.url}/v1/flows/LongStepFlow/runs/${runId}`).then((r) => (r.ok ? r.json() : undefined));
        const tasks = await fetch(`${reaping.url}/v1/flows/LongStepFlow/runs/${runId}/steps/nap/tasks`).then((r) => (r.ok ? r.json() : { items: [] }));
        if (run) seen.add(`run ${run.status}`);
        for (const task of tasks.items) seen.add(`nap ${task.status}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      expect(execution?.status).toBe('SUCCEEDED');
      expect([...seen].filter((state) => state.endsWith('failed'))).toEqual([]);
      expect(seen).toContain('run running');
      expect(seen).toContain('nap running');
      expect(await fetch(`${reaping.url}/v1/flows/LongStepFlow/runs/${runId}`).then((r) => r.json())).toMatchObject({ status: 'succeeded' });
      expect(reaping.output()).not.toContain('marked');
    } finally {
      await reaping.stop();
    }
  });

  test.concurrent('branch: a Parallel whose join finds both inputs; artifacts equal a local run', async () => {
    await create('branch_flow.ts');
    expectValidAsl(sfn.definition('BranchFlow'));
    const [run, local] = await Promise.all([trigger('branch_flow.ts'), localRun('branch_flow.ts')]);
    expect(run.execution.status).toBe('SUCCEEDED');
    const stored = await artifacts('BranchFlow', run.runId);
    expect(Object.keys(stored).sort()).toEqual(['end', 'join', 'left', 'right', 'start']);
    expect(stored).toEqual(await artifacts('BranchFlow', local));

    // The state machine names its code package by location, never by a presigned URL (those expire in 7 days at
    // most): each job read it signing with its role's credentials, each signature the one the AWS SDK makes.
    const definition = JSON.stringify(sfn.definition('BranchFlow'));
    expect(definition).not.toContain('X-Amz-Signature');
    const manifest = (/"(s3:\/\/flowkit\/sfn\/[^"]+)","[0-9a-f]{64}"/.exec(definition) as RegExpExecArray)[1] as string;
    const requests = await s3.requests();
    const reads = requests.filter((r) => r.method === 'GET' && r.path === manifest.slice('s3:/'.length));
    expect(reads.length).toBeGreaterThanOrEqual(5);
    expect(reads.map((r) => [r.status, r.sigv4])).toEqual(reads.map(() => [200, 'valid']));
    expect(requests.filter((r) => r.sigv4 !== undefined && r.sigv4 !== 'valid')).toEqual([]);
    // The check is real: the SDK's own request signed with another secret is caught.
    const forger = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'wrong' } });
    const [, bucket, key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(manifest) as RegExpExecArray;
    await forger.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    forger.destroy();
    expect((await s3.requests()).filter((r) => r.sigv4 === 'invalid').map((r) => r.path)).toEqual([expect.stringContaining(key as string)]);
  }, 240000);

  test.concurrent('IncludeFile: the default file is read at create, a file given to trigger at trigger; the job reads them from the datastore', async () => {
    await create('include_flow.ts');
    // What the file holds after create does not change what create stored.
    writeFileSync(join(dir, 'data.csv'), 'changed after create\n');
    const [deployed, given] = await Promise.all([trigger('include_flow.ts'), trigger('include_flow.ts', ['--data', 'other.csv'])]);
    expect([deployed.execution.status, given.execution.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect((await artifacts('IncludeFlow', deployed.runId)).start).toEqual([JSON.stringify({ data: 'a,1\nb,2\n', rows: 2 })]);
    expect((await artifacts('IncludeFlow', given.runId)).start).toEqual([JSON.stringify({ data: 'x,1\ny,2\nz,3\n', rows: 3 })]);
    const missing = await cli(['step-functions', 'trigger', 'include_flow.ts', '--data', 'nowhere.csv']);
    expect([missing.code, missing.stderr.split('\n')[0]]).toEqual([1, expect.stringContaining("IncludeFile 'data'")]);
  }, 240000);

  test.concurrent('nested foreach: Maps sized by what each foreach task recorded, --max-workers as MaxConcurrency; artifacts equal a local run', async () => {
    await create('nested_flow.ts', ['--max-workers', '2']);
    const definition = sfn.definition('NestedFlow');
    expectValidAsl(definition);
    expect(JSON.stringify(definition)).toContain('"MaxConcurrency":2');
    const [run, local] = await Promise.all([trigger('nested_flow.ts'), localRun('nested_flow.ts')]);
    expect(run.execution.status).toBe('SUCCEEDED');
    expect(jobsOf(run.runId, 'inner').map((job) => job.tags['flowkit.task']).sort()).toEqual(['t-0-0', 't-0-1', 't-1-0', 't-1-1']);
    const stored = await artifacts('NestedFlow', run.runId);
    expect(stored.end?.[0]).toContain('[["1a","1b"],["2a","2b"]]');
    expect(stored).toEqual(await artifacts('NestedFlow', local));
  }, 240000);

  test.concurrent('a secret setting reaches jobs by reference only, host-bound settings not at all; no reference: refused at create', async () => {
    const home = join(dir, 'flowkit-home');
    const secret = { FLOWKIT_SERVICE_URL: authService.url, FLOWKIT_SERVICE_AUTH_KEY: AUTH_KEY, FLOWKIT_HOME: home };
    const refused = await cli(['step-functions', 'create', 'secret_flow.ts'], secret);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('FLOWKIT_SERVICE_AUTH_KEY is a secret: remote tasks get it only by reference, and none is configured.');
    expect(sfn.definition('SecretFlow')).toBeUndefined();

    const withSecret = { ...secret, FLOWKIT_BATCH_SECRETS: `FLOWKIT_SERVICE_AUTH_KEY=${AUTH_KEY_ARN}` };
    const created = await cli(['step-functions', 'create', 'secret_flow.ts'], withSecret);
    expect([created.code, created.stderr]).toEqual([0, '']);
    const definition = JSON.stringify(sfn.definition('SecretFlow'));
    for (const value of [AUTH_KEY, home, env.FLOWKIT_S3_CACHE_DIR as string, env.FLOWKIT_DATASTORE_SYSROOT_LOCAL as string]) expect(definition).not.toContain(value);
    const started = await cli(['step-functions', 'trigger', 'secret_flow.ts'], withSecret);
    expect([started.code, started.stderr]).toEqual([0, '']);
    const runId = (/Run (sfn-[0-9a-f-]+) /.exec(started.stdout) as RegExpExecArray)[1] as string;
    const execution = sfn.executions().find((e) => `sfn-${e.name}` === runId);
    await execution?.settled;
    // Every task recorded itself with the service, which refuses calls without the key.
    expect(execution?.status).toBe('SUCCEEDED');
    const jobs = batch.jobs().filter((job) => job.tags['flowkit.run'] === runId);
    expect(jobs.map((job) => job.processEnv?.FLOWKIT_SERVICE_AUTH_KEY)).toEqual(jobs.map(() => AUTH_KEY));
    expect(batch.received().join('\n')).not.toContain(AUTH_KEY);
    const dumped = await cli(['dump', 'SecretFlow', `${runId}/start`], withSecret);
    expect(dumped.stdout).toContain('batch');
  }, 240000);

  test.concurrent('bad input: a local datastore, local records or per-step environments refused at create, an unknown parameter at trigger', async () => {
    const local = await cli(['step-functions', 'create', 'branch_flow.ts'], { FLOWKIT_DEFAULT_DATASTORE: 'local' });
    expect([local.code, local.stderr.split('\n')[0]]).toEqual([1, "Step Functions cannot run BranchFlow on the 'local' datastore, which is on this machine."]);
    const records = await cli(['step-functions', 'create', 'branch_flow.ts', '--metadata', 'local']);
    expect([records.code, records.stderr.split('\n')[0]]).toEqual([1, "Step Functions cannot run BranchFlow with the 'local' metadata provider, which keeps its records on this machine."]);
    const environment = await cli(['step-functions', 'create', 'branch_flow.ts'], { FLOWKIT_DEFAULT_ENVIRONMENT: 'packages' });
    expect([environment.code, environment.stderr.split('\n')[0]]).toEqual([1, 'Step Functions cannot give the steps of BranchFlow their --environment packages yet: only runs started with `flowkit run` can.']);
    const unknown = await cli(['step-functions', 'trigger', 'linear_flow.ts', '--greting', 'x']);
    expect([unknown.code, unknown.stderr.split('\n')[0]]).toEqual([1, "Flow LinearFlow has no parameter 'greting'."]);
    expect(unknown.stderr).toContain('its parameters: mode, greeting');
  });

  test.concurrent('@schedule: create makes the schedule that starts the state machine, firing it runs the flow; create without @schedule deletes it, delete too; parameters arrive as typed', async () => {
    const file = join(dir, 'scheduled_flow.ts');
    writeFileSync(file, scheduledFlow('ScheduledFlow', "@schedule({ cron: '0 12 * * ? *', timezone: 'Europe/Paris' })"));
    const created = await create('scheduled_flow.ts');
    const stateMachineArn = (/deployed: (\S+)/.exec(created) as RegExpExecArray)[1];
    expect(created).toContain('Schedule ScheduledFlow starts it at cron(0 12 * * ? *) in Europe/Paris.');
    expect(scheduler.schedule('ScheduledFlow')).toMatchObject({
      ScheduleExpression: 'cron(0 12 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Paris',
      State: 'ENABLED',
      Target: { Arn: stateMachineArn, RoleArn: EVENTS_ROLE, Input: '{"parameters":{}}' },
    });

    const executionArn = await scheduler.fire('ScheduledFlow');
    const [fired, typed, decimal] = await Promise.all([
      settled((e) => e.executionArn === executionArn),
      trigger('scheduled_flow.ts', ['--code', '007']),
      trigger('scheduled_flow.ts', ['--code', '1.50', '--times', '2']),
    ]);
    expect([fired.execution.status, typed.execution.status, decimal.execution.status]).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect((await artifacts('ScheduledFlow', fired.runId)).start).toEqual([expect.stringContaining('"seen":"none"')]);
    // A string parameter keeps what was typed; yargs alone would have made these 7 and 1.5.
    expect((await artifacts('ScheduledFlow', typed.runId)).start).toEqual([expect.stringContaining('"seen":"007"')]);
    expect((await artifacts('ScheduledFlow', decimal.runId)).start).toEqual([expect.stringContaining('"seen":"1.50"')]);

    writeFileSync(file, scheduledFlow('ScheduledFlow', '@schedule({ daily: true })'));
    expect(await create('scheduled_flow.ts')).toContain('Schedule ScheduledFlow starts it at cron(0 0 * * ? *) UTC.');
    const daily = scheduler.schedule('ScheduledFlow');
    expect([daily?.ScheduleExpression, daily?.ScheduleExpressionTimezone]).toEqual(['cron(0 0 * * ? *)', undefined]);

    writeFileSync(file, scheduledFlow('ScheduledFlow', ''));
    expect(await create('scheduled_flow.ts')).toContain('Schedule ScheduledFlow is deleted: the flow has no @schedule.');
    expect(scheduler.schedule('ScheduledFlow')).toBeUndefined();
    expect(await create('scheduled_flow.ts')).not.toContain('Schedule ScheduledFlow');

    writeFileSync(file, scheduledFlow('ScheduledFlow', '@schedule({ hourly: true })'));
    expect(await create('scheduled_flow.ts')).toContain('Schedule ScheduledFlow starts it at cron(0 * * * ? *) UTC.');
    const deleted = await cli(['step-functions', 'delete', 'scheduled_flow.ts']);
    expect([deleted.code, deleted.stdout]).toEqual([0, 'State machine ScheduledFlow is deleted; runs already started keep their records.\nSchedule ScheduledFlow is deleted.\n']);
    expect([scheduler.schedule('ScheduledFlow'), sfn.definition('ScheduledFlow')]).toEqual([undefined, undefined]);

    // Its tasks got @schedule from the package's task module: their code packages carry no AWS client.
    const bundles = readdirSync(join(root, '_code')).filter((name) => name.endsWith('.cjs')).map((name) => readFileSync(join(root, '_code', name), 'utf8'));
    const scheduled = bundles.filter((bundle) => bundle.includes('ScheduledFlow') && bundle.includes('@schedule of'));
    expect(scheduled.length).toBe(3);
    for (const bundle of scheduled) expect([bundle.includes('SchedulerClient'), bundle.includes('SFNClient')]).toEqual([false, false]);
  }, 240000);

  test.concurrent('bad schedules, no schedule role, a badly typed parameter, missing credentials, unreachable endpoints: one line naming the problem, exit 1, nothing scheduled', async () => {
    const refused = async (file: string, flowName: string, extra?: Record<string, string | undefined>) => {
      const result = extra ? await flowkit(['step-functions', 'create', file], { cwd: dir, env: { ...env, ...extra } }) : await cli(['step-functions', 'create', file]);
      expect(result.code).toBe(1);
      // The message, then its hint: no stack.
      expect(result.stderr.trim().split('\n')).toEqual([expect.any(String), expect.stringMatching(/^ {2}hint: /)]);
      expect([sfn.definition(flowName), scheduler.schedule(flowName), await s3.keys(`sfn/${flowName}/`)]).toEqual([undefined, undefined, []]);
      return result.stderr;
    };
    expect(await refused('bad_cron_flow.ts', 'BadCronFlow')).toMatch(/^@schedule of BadCronFlow: cron '0 12 \* \* \*' is not an EventBridge cron expression \(it has 5 fields, not 6\)\.\n {2}hint: .*e\.g\. @schedule\(\{ cron: 'cron\(0 12 \* \* \? \*\)' \}\)/);
    expect(await refused('bad_timezone_flow.ts', 'BadTimezoneFlow')).toMatch(/^@schedule of BadTimezoneFlow: timezone "Mars\/Olympus" is not an IANA time zone\.\n {2}hint: e\.g\. timezone: 'Europe\/Paris'/);
    expect(await refused('two_schedules_flow.ts', 'TwoSchedulesFlow')).toMatch(/^@schedule of TwoSchedulesFlow takes exactly one of cron, hourly, daily, weekly; it was given cron and daily\./);
    expect(await refused('no_role_flow.ts', 'NoRoleFlow', { FLOWKIT_EVENTS_SFN_ACCESS_IAM_ROLE: undefined })).toMatch(
      /^EventBridge Scheduler needs the IAM role it starts NoRoleFlow as, for its @schedule\.\n {2}hint: set FLOWKIT_EVENTS_SFN_ACCESS_IAM_ROLE=/,
    );
    // --only-json deploys nothing, yet checks the schedule.
    const onlyJson = await cli(['step-functions', 'create', 'bad_cron_flow.ts', '--only-json']);
    expect([onlyJson.code, onlyJson.stdout, onlyJson.stderr.split('\n')[0]]).toEqual([1, '', expect.stringContaining("@schedule of BadCronFlow: cron '0 12 * * *'")]);

    const empty = join(dir, 'empty-aws-config');
    writeFileSync(empty, '');
    const noCredentials = {
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_SESSION_TOKEN: undefined,
      AWS_PROFILE: undefined,
      AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
      AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
      AWS_CONFIG_FILE: empty,
      AWS_SHARED_CREDENTIALS_FILE: empty,
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    expect(await refused('no_credentials_flow.ts', 'NoCredentialsFlow', noCredentials)).toMatch(/^No AWS credentials found for Step Functions to deploy NoCredentialsFlow\.\n {2}hint: set AWS_PROFILE/);
    const listed = await flowkit(['step-functions', 'list-runs', 'no_credentials_flow.ts'], { cwd: dir, env: { ...env, ...noCredentials } });
    expect([listed.code, listed.stderr.split('\n')[0]]).toEqual([1, 'No AWS credentials found for Step Functions.']);

    // Unreachable endpoints (a closed port) are named, with the setting that points at them.
    const farSfn = await cli(['step-functions', 'list-runs', 'linear_flow.ts'], { FLOWKIT_SFN_ENDPOINT_URL: 'http://127.0.0.1:9' });
    expect([farSfn.code, farSfn.stderr]).toEqual([1, 'Step Functions at http://127.0.0.1:9 could not be reached (ECONNREFUSED).\n  hint: check that FLOWKIT_SFN_ENDPOINT_URL is right and the endpoint is up\n']);
    const farScheduler = await cli(['step-functions', 'create', 'far_scheduler_flow.ts'], { FLOWKIT_EVENTBRIDGE_SCHEDULER_ENDPOINT_URL: 'http://127.0.0.1:9' });
    expect([farScheduler.code, farScheduler.stderr]).toEqual([
      1,
      'EventBridge Scheduler at http://127.0.0.1:9 could not be reached (ECONNREFUSED).\n  hint: check that FLOWKIT_EVENTBRIDGE_SCHEDULER_ENDPOINT_URL is right and the endpoint is up\n',
    ]);
    expect(scheduler.schedule('FarSchedulerFlow')).toBeUndefined();

    const typed = await cli(['step-functions', 'trigger', 'no_credentials_flow.ts', '--times', 'abc']);
    expect([typed.code, typed.stderr.split('\n')[0]]).toEqual([1, "Parameter 'times' expects a number, got 'abc'."]);
  });
});
