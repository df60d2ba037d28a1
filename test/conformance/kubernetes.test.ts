import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCombination } from '@flowkit/testing';
import { KubeTestServer, loadKubernetesClient } from '@flowkit/test-servers';
import { computeSubset, expectComputeSubset } from '../helpers/computeSubset';
import { FLOWKIT_BIN } from '../helpers/flowkit';
import { S3TestServer } from '../helpers/s3server';

/**
 * The kubernetes context: every task runs as a Kubernetes Job (`--with kubernetes`) through the real client and
 * the Kubernetes test server, whose pods fetch the code package from s3rver with credentials from a Secret.
 * The subset: test/helpers/computeSubset.ts.
 */
describe('conformance: kubernetes', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'flowkit-conformance-kubernetes-'));
  const options = { workDir, datastoreRoot: join(workDir, '.flowkit'), flowkitBin: FLOWKIT_BIN };
  const combos = computeSubset('kubernetes');
  let s3: S3TestServer;
  let kube: KubeTestServer;

  beforeAll(async () => {
    s3 = await S3TestServer.start(['flowkit']);
    kube = await KubeTestServer.start({ stateDelayMs: 5, gracePeriodMs: 1000 });
    const k8s = loadKubernetesClient();
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kube.kubeconfig());
    const body = { metadata: { name: 's3-credentials' }, stringData: { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' } };
    await kc.makeApiClient(k8s.CoreV1Api).createNamespacedSecret({ namespace: 'default', body });
    Object.assign(process.env, s3.env('s3://flowkit/conformance-kubernetes'), { KUBECONFIG: kube.kubeconfig(), FLOWKIT_KUBERNETES_SECRETS: 's3-credentials' });
  });
  afterAll(async () => {
    await kube.stop();
    await s3.close();
  });

  test('the subset covers every graph shape but the widest, and each compute test', () => {
    expectComputeSubset(combos);
  });

  test.concurrent.each(combos.map((c) => [c.id, c] as const))('%s', async (_id, combo) => {
    await runCombination(combo, options);
  }, 300000);
});
