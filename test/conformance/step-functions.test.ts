import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FLOWKIT_BIN } from '../helpers/flowkit';
import { startStepFunctionsStack, type StepFunctionsStack } from '../helpers/stepFunctionsStack';
import { computeSubset, expectComputeSubset, testEachCombination } from '../helpers/subsets';

/**
 * The step-functions context: each flow is deployed with `flowkit step-functions create` to the Step Functions
 * test server and run with `trigger`; every step runs as a job of the Batch test server against s3rver, recorded
 * in the metadata service; resume tests resume the failed production run locally. The subset: basic_artifact on
 * every graph shape but the widest, then the tests where a scheduler's own handling shows (retries and catch as
 * the state machine's Retry, exceptions, logs, parameters given at trigger, large artifacts, a local resume).
 */
const TESTS = ['catch_retry', 'task_exception', 'basic_log', 'basic_parameters', 'large_artifact', 'resume_foreach_join'];

describe('conformance: step-functions', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'flowkit-conformance-sfn-'));
  const options = { workDir, datastoreRoot: join(workDir, '.flowkit'), flowkitBin: FLOWKIT_BIN };
  const combos = computeSubset('step-functions', TESTS);
  let stack: StepFunctionsStack;

  beforeAll(async () => {
    stack = await startStepFunctionsStack({ root: 's3://flowkit/conformance-sfn', queue: 'conformance', batch: { stopTimeoutMs: 1000 } });
    Object.assign(process.env, stack.env);
  }, 120000);
  afterAll(async () => {
    await stack?.stop();
  });

  test('the subset covers every graph shape but the widest, and each test named', () => {
    expectComputeSubset(combos, TESTS);
  });

  testEachCombination(combos, options);
});
