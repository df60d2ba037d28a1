import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCombination } from '@flowkit/testing';
import { BatchTestServer } from '@flowkit/test-servers';
import { computeSubset, expectComputeSubset } from '../helpers/computeSubset';
import { FLOWKIT_BIN } from '../helpers/flowkit';
import { S3TestServer } from '../helpers/s3server';

/**
 * The batch context: every task runs as an AWS Batch job (`--with batch`) through the real SDK clients and the
 * Batch test server, whose jobs fetch the code package from s3rver with their job role's credentials.
 * The subset: test/helpers/computeSubset.ts.
 */
describe('conformance: batch', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'flowkit-conformance-batch-'));
  const options = { workDir, datastoreRoot: join(workDir, '.flowkit'), flowkitBin: FLOWKIT_BIN };
  const combos = computeSubset('batch');
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
    expectComputeSubset(combos);
  });

  test.concurrent.each(combos.map((c) => [c.id, c] as const))('%s', async (_id, combo) => {
    await runCombination(combo, options);
  }, 300000);
});
