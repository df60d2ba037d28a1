import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { combinations, runCombination, type Combination } from '@flowkit/testing';
import { FLOWKIT_BIN } from '../helpers/flowkit';
import { startStepFunctionsStack, type StepFunctionsStack } from '../helpers/stepFunctionsStack';
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
  let stack: StepFunctionsStack;

  beforeAll(async () => {
    stack = await startStepFunctionsStack({ root: 's3://flowkit/conformance-sfn', queue: 'conformance', batch: { stopTimeoutMs: 1000 } });
    Object.assign(process.env, stack.env);
  }, 120000);
  afterAll(async () => {
    await stack?.stop();
  });

  test('the subset covers every graph shape but the widest, and each test named', () => {
    expect(combos.filter((c) => c.template.name === 'basic_artifact').map((c) => c.graph.name).sort()).toEqual([...COMPUTE_SHAPES].sort());
    expect(combos.map((c) => c.template.name).filter((name) => name !== 'basic_artifact')).toEqual(TESTS);
  });

  test.concurrent.each(combos.map((c) => [c.id, c] as const))('%s', async (_id, combo) => {
    await runCombination(combo, options);
  }, 300000);
});
