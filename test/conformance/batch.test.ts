import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { combinations, runCombination, type Combination } from '@flowkit/testing';
import { BatchTestServer } from '@flowkit/test-servers';
import { FLOWKIT_BIN } from '../helpers/flowkit';
import { S3TestServer } from '../helpers/s3server';

/**
 * The batch context: every task runs as an AWS Batch job (`--with batch`) through the real SDK clients and the
 * Batch test server, whose jobs fetch the code package from s3rver with their job role's credentials.
 * basic_artifact on every graph shape but the 100-way one (the remote context covers scale), then the tests
 * where compute matters (retries, catch, timeouts, crashes, logs, resume, large artifacts) on the first shape
 * each fits.
 */
const SHAPES = ['small-foreach', 'small-branch', 'single-linear', 'nested-foreach', 'foreach-in-branch', 'branch-in-foreach', 'nested-branch', 'long-linear'];
const COMPUTE_TESTS = ['catch_retry', 'timeout_decorator', 'detect_segfault', 'task_exception', 'basic_log', 'large_artifact', 'resume_foreach_join'];

function batchCombinations(): Combination[] {
  const all = combinations({ contexts: ['batch'] });
  const chosen = all.filter((c) => c.template.name === 'basic_artifact' && SHAPES.includes(c.graph.name));
  for (const test of COMPUTE_TESTS) {
    const first = SHAPES.map((shape) => all.find((c) => c.template.name === test && c.graph.name === shape)).find(Boolean);
    if (first) chosen.push(first);
  }
  return chosen;
}

describe('conformance: batch', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'flowkit-conformance-batch-'));
  const options = { workDir, datastoreRoot: join(workDir, '.flowkit'), flowkitBin: FLOWKIT_BIN };
  const combos = batchCombinations();
  let s3: S3TestServer;
  let batch: BatchTestServer;

  beforeAll(async () => {
    s3 = await S3TestServer.start(['flowkit']);
    batch = await BatchTestServer.start({ queues: ['conformance'], stateDelayMs: 5, stopTimeoutMs: 1000, jobRoleCredentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    Object.assign(process.env, batch.env(), s3.env('s3://flowkit/conformance-batch'), {
      FLOWKIT_BATCH_JOB_QUEUE: 'conformance',
      FLOWKIT_ECS_S3_ACCESS_IAM_ROLE: 'arn:aws:iam::123456789012:role/conformance',
      FLOWKIT_BATCH_POLL_SECONDS: '0.1',
    });
  });
  afterAll(async () => {
    await batch.stop();
    await s3.close();
  });

  test('the subset covers every graph shape but the widest, and each compute test', () => {
    expect(combos.map((c) => c.template.name).filter((name) => name !== 'basic_artifact')).toEqual(COMPUTE_TESTS);
    expect(combos.filter((c) => c.template.name === 'basic_artifact').map((c) => c.graph.name).sort()).toEqual([...SHAPES].sort());
  });

  test.concurrent.each(combos.map((c) => [c.id, c] as const))('%s', async (_id, combo) => {
    await runCombination(combo, options);
  }, 300000);
});
