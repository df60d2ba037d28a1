import { KubeTestServer } from '@flowkit/test-servers';
import { describeComputeContext } from '../helpers/computeContext';

/**
 * The kubernetes context: every task runs as a Kubernetes Job (`--with kubernetes`) through the real client and
 * the Kubernetes test server, whose pods fetch the code package from s3rver with credentials from a Secret.
 * The subset: test/helpers/subsets.ts.
 */
describeComputeContext('kubernetes', async () => {
  const kube = await KubeTestServer.start({ stateDelayMs: 5, gracePeriodMs: 1000 });
  await kube.createSecret('s3-credentials', { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' });
  return { env: { KUBECONFIG: kube.kubeconfig(), FLOWKIT_KUBERNETES_SECRETS: 's3-credentials' }, stop: () => kube.stop() };
});
