import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { combinations, runCombination, type Combination } from '@flowkit/testing';
import { BatchTestServer, SchedulerTestServer, StepFunctionsTestServer } from '@flowkit/test-servers';
import { FLOWKIT_BIN } from '../helpers/flowkit';
import { startPostgres, type TestPostgres } from '../helpers/postgres';
import { S3TestServer } from '../helpers/s3server';
import { startService, type TestService } from '../helpers/service';
import { COMPUTE_SHAPES } from '../helpers/subsets';

/**
 * The step-functions context: each flow is deployed with `flowkit step-functions create` to the Step Functions
 * test server and run with `trigger`; every step runs as a job of the Batch test server against s3rver, recorded
 * in the metadata service; resume tests resume the failed production run locally. The subset: basic_artifact on
 * every graph shape but the widest, then the tests where a scheduler's own handling shows (retries and catch as
 * the state machine's Retry, exceptions, logs, parameters given at trigger, large artifacts, a local resume).
 */
const TESTS = ['catch_retry', 'task_exception', 'basic_log', 'basic_parameters', 'large_artifact', 'resume_foreach_join'];

function stepFunctionsSubset(): Combination[] {
  const all = combinations({ contexts: ['step-functions'] });
  const chosen = all.filter((c) => c.template.name === 'basic_artifact' && COMPUTE_SHAPES.includes(c.graph.name));
  for (const test of TESTS) chosen.push(COMPUTE_SHAPES.map((shape) => all.find((c) => c.template.name === test && c.graph.name === shape)).find(Boolean) as Combination);
  return chosen;
}

describe('conformance: step-functions', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'flowkit-conformance-sfn-'));
  const options = { workDir, datastoreRoot: join(workDir, '.flowkit'), flowkitBin: FLOWKIT_BIN };
  const combos = stepFunctionsSubset();
  let s3: S3TestServer;
  let batch: BatchTestServer;
  let sfn: StepFunctionsTestServer;
  let scheduler: SchedulerTestServer;
  let postgres: TestPostgres;
  let service: TestService;

  beforeAll(async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    [s3, batch, postgres] = await Promise.all([
      S3TestServer.start(['flowkit']),
      BatchTestServer.start({ queues: ['conformance'], stateDelayMs: 5, stopTimeoutMs: 1000, jobRoleCredentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } }),
      startPostgres(),
    ]);
    service = await startService({ databaseUrl: await postgres.createDatabase('conformance_sfn') });
    sfn = await StepFunctionsTestServer.start({ batchEndpoint: batch.endpoint, s3: { endpoint: s3.endpoint, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, pollMs: 100, retryIntervalMs: 0 });
    // `create` is declarative: it removes a schedule the flow no longer has, so it always asks EventBridge Scheduler.
    scheduler = await SchedulerTestServer.start({ stepFunctionsEndpoint: sfn.endpoint });
    Object.assign(process.env, batch.env(), s3.env('s3://flowkit/conformance-sfn'), sfn.env(), scheduler.env(), {
      FLOWKIT_SERVICE_URL: service.url,
      FLOWKIT_BATCH_JOB_QUEUE: 'conformance',
      FLOWKIT_ECS_S3_ACCESS_IAM_ROLE: 'arn:aws:iam::123456789012:role/conformance',
      FLOWKIT_SFN_IAM_ROLE: 'arn:aws:iam::123456789012:role/conformance-sfn',
    });
  }, 120000);
  afterAll(async () => {
    await scheduler?.stop();
    await sfn?.stop();
    await batch?.stop();
    await service?.stop();
    await postgres?.stop();
    await s3?.close();
  });

  test('the subset covers every graph shape but the widest, and each test named', () => {
    expect(combos.filter((c) => c.template.name === 'basic_artifact').map((c) => c.graph.name).sort()).toEqual([...COMPUTE_SHAPES].sort());
    expect(combos.map((c) => c.template.name).filter((name) => name !== 'basic_artifact')).toEqual(TESTS);
  });

  test.concurrent.each(combos.map((c) => [c.id, c] as const))('%s', async (_id, combo) => {
    await runCombination(combo, options);
  }, 300000);
});
