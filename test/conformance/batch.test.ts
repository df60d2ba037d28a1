import { BatchTestServer } from '@flowkit/test-servers';
import { describeComputeContext } from '../helpers/computeContext';

/**
 * The batch context: every task runs as an AWS Batch job (`--with batch`) through the real SDK clients and the
 * Batch test server, whose jobs fetch the code package from s3rver with their job role's credentials.
 * The subset: test/helpers/subsets.ts.
 */
describeComputeContext('batch', async () => {
  const batch = await BatchTestServer.start({ queues: ['conformance'], stateDelayMs: 5, stopTimeoutMs: 1000, jobRoleCredentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  return {
    env: {
      ...batch.env(),
      FLOWKIT_BATCH_JOB_QUEUE: 'conformance',
      FLOWKIT_ECS_S3_ACCESS_IAM_ROLE: 'arn:aws:iam::123456789012:role/conformance',
      FLOWKIT_BATCH_POLL_SECONDS: '0.1',
    },
    stop: () => batch.stop(),
  };
});
