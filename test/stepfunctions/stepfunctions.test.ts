import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BatchTestServer, StepFunctionsTestServer } from '@flowkit/test-servers';
import { flowkit, project } from '../helpers/flowkit';
import { startPostgres, type TestPostgres } from '../helpers/postgres';
import { S3TestServer } from '../helpers/s3server';
import { startService, type TestService } from '../helpers/service';
import { BRANCH_FLOW, LINEAR_FLOW, NESTED_FOREACH_FLOW, SECRET_FLOW } from './flows';

import { expectValidAsl } from './asl';

/**
 * `flowkit step-functions create|trigger|list-runs|delete` end to end: the real CLI deploys through the real
 * SFNClient to the Step Functions test server, whose executions (aws-local-stepfunctions) submit every step as
 * a job to the Batch test server; jobs run the real task entry against s3rver and the metadata service.
 */
const QUEUE = 'sfn-queue';
const AUTH_KEY = `auth-key-${randomBytes(8).toString('hex')}`;
const AUTH_KEY_ARN = 'arn:aws:ssm:us-east-1:123456789012:parameter/flowkit/auth-key';

describe('step-functions', () => {
  let s3: S3TestServer;
  let batch: BatchTestServer;
  let sfn: StepFunctionsTestServer;
  let postgres: TestPostgres;
  let service: TestService;
  /** Takes only calls bearing AUTH_KEY. */
  let authService: TestService;
  let env: Record<string, string>;
  const { dir, env: projectEnv } = project({ 'linear_flow.ts': LINEAR_FLOW, 'branch_flow.ts': BRANCH_FLOW, 'nested_flow.ts': NESTED_FOREACH_FLOW, 'secret_flow.ts': SECRET_FLOW });

  beforeAll(async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    [s3, batch, postgres] = await Promise.all([
      S3TestServer.start(['flowkit']),
      BatchTestServer.start({ queues: [QUEUE], stateDelayMs: 5, stopTimeoutMs: 500, minimumTimeoutSeconds: 1, jobRoleCredentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, secrets: { [AUTH_KEY_ARN]: AUTH_KEY } }),
      startPostgres(),
    ]);
    [service, authService] = await Promise.all([
      startService({ databaseUrl: await postgres.createDatabase('sfn') }),
      startService({ databaseUrl: await postgres.createDatabase('sfn_auth'), authToken: AUTH_KEY }),
    ]);
    sfn = await StepFunctionsTestServer.start({ batchEndpoint: batch.endpoint, s3: { endpoint: s3.endpoint, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, pollMs: 100, retryIntervalMs: 0 });
    env = {
      ...projectEnv,
      ...batch.env(),
      ...s3.env('s3://flowkit/sfn'),
      ...sfn.env(),
      FLOWKIT_DEFAULT_DATASTORE: 's3',
      FLOWKIT_DEFAULT_METADATA: 'service',
      FLOWKIT_SERVICE_URL: service.url,
      FLOWKIT_BATCH_JOB_QUEUE: QUEUE,
      FLOWKIT_ECS_S3_ACCESS_IAM_ROLE: 'arn:aws:iam::123456789012:role/flowkit-batch',
      FLOWKIT_SFN_IAM_ROLE: 'arn:aws:iam::123456789012:role/flowkit-sfn',
    };
  }, 60000);
  afterAll(async () => {
    await sfn?.stop();
    await batch?.stop();
    await service?.stop();
    await authService?.stop();
    await postgres?.stop();
    await s3?.close();
  });

  const cli = (args: string[], extra: Record<string, string> = {}) => flowkit(args, { cwd: dir, env: { ...env, ...extra } });

  async function create(file: string, args: string[] = []): Promise<void> {
    const created = await cli(['step-functions', 'create', file, ...args]);
    expect([created.code, created.stderr]).toEqual([0, '']);
    expect(created.stdout).toMatch(/State machine \w+ for \w+ is deployed: arn:aws:states:/);
  }

  /** Triggers a run and waits for its execution to end. */
  async function trigger(file: string, args: string[] = []) {
    const started = await cli(['step-functions', 'trigger', file, ...args]);
    expect([started.code, started.stderr]).toEqual([0, '']);
    const runId = (/Run (sfn-[0-9a-f-]+) /.exec(started.stdout) as RegExpExecArray)[1] as string;
    const execution = sfn.executions().find((e) => `sfn-${e.name}` === runId);
    await execution?.settled;
    return { runId, execution: execution as NonNullable<typeof execution> };
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

  test.concurrent('branch: a Parallel whose join finds both inputs; artifacts equal a local run', async () => {
    await create('branch_flow.ts');
    expectValidAsl(sfn.definition('BranchFlow'));
    const [run, local] = await Promise.all([trigger('branch_flow.ts'), localRun('branch_flow.ts')]);
    expect(run.execution.status).toBe('SUCCEEDED');
    const stored = await artifacts('BranchFlow', run.runId);
    expect(Object.keys(stored).sort()).toEqual(['end', 'join', 'left', 'right', 'start']);
    expect(stored).toEqual(await artifacts('BranchFlow', local));
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

  test.concurrent('bad input: a local datastore or local records refused at create, an unknown parameter at trigger', async () => {
    const local = await cli(['step-functions', 'create', 'branch_flow.ts'], { FLOWKIT_DEFAULT_DATASTORE: 'local' });
    expect([local.code, local.stderr.split('\n')[0]]).toEqual([1, "Step Functions cannot run BranchFlow on the 'local' datastore, which is on this machine."]);
    const records = await cli(['step-functions', 'create', 'branch_flow.ts', '--metadata', 'local']);
    expect([records.code, records.stderr.split('\n')[0]]).toEqual([1, "Step Functions cannot run BranchFlow with the 'local' metadata provider, which keeps its records on this machine."]);
    const unknown = await cli(['step-functions', 'trigger', 'linear_flow.ts', '--greting', 'x']);
    expect([unknown.code, unknown.stderr.split('\n')[0]]).toEqual([1, "Flow LinearFlow has no parameter 'greting'."]);
    expect(unknown.stderr).toContain('its parameters: mode, greeting');
  });
});
