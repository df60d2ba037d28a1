/**
 * A 200-way foreach on Kubernetes through the Kubernetes test server (its pods run as local processes, fetching the
 * code package from s3rver with credentials from a Secret): what the scheduler itself spends per task (CPU time of
 * the `flowkit` process) and how many API requests it makes per task (pod logs excluded), beside the same fan-out
 * run locally — the Batch rows' twin.
 */
import { KubeTestServer } from '@flowkit/test-servers';
import { S3TestServer } from '../../test/helpers/s3server';
import { cpuOf } from './batch';
import type { Row } from './stats';

export async function benchKubernetes(flowkitBin: string, flowFile: string, workDir: string, width = 200): Promise<Row[]> {
  const s3 = await S3TestServer.start(['bench']);
  const kube = await KubeTestServer.start({ stateDelayMs: 20 });
  try {
    await kube.createSecret('s3-credentials', { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' });
    const args = ['run', flowFile, '--width', String(width), '--max-workers', '32', '--max-num-splits', String(width), '--quiet'];
    const local = await cpuOf(flowkitBin, args, { FLOWKIT_DATASTORE_SYSROOT_LOCAL: `${workDir}/.flowkit-kube-bench` }, workDir);
    const env = {
      ...s3.env('s3://bench/kube'),
      KUBECONFIG: kube.kubeconfig(),
      FLOWKIT_KUBERNETES_SECRETS: 's3-credentials',
      FLOWKIT_DATASTORE_SYSROOT_LOCAL: `${workDir}/.flowkit-kube-bench`,
      FLOWKIT_DEFAULT_DATASTORE: 's3',
    };
    const before = kube.requests().length;
    const remote = await cpuOf(flowkitBin, [...args, '--with', 'kubernetes'], env, workDir);
    if (local.code !== 0 || remote.code !== 0) throw new Error(`fan-out on Kubernetes failed: ${local.output}${remote.output}`);
    const tasks = width + 3;
    const requests = kube.requests().slice(before).filter((request) => !request.path.endsWith('/log')).length;
    const cpuMs = (remote.cpuSeconds * 1000) / tasks;
    const localMs = (local.cpuSeconds * 1000) / tasks;
    return [
      {
        benchmark: `15. fan-out ${width} on Kubernetes (test server): scheduler CPU per task`,
        result: `${cpuMs.toFixed(1)} ms/task`,
        vsFloor: `local run: ${localMs.toFixed(1)} ms/task`,
        target: '<= 20 ms (as Batch)',
        met: cpuMs <= 20,
        raw: { cpuMsPerTask: cpuMs, localCpuMsPerTask: localMs },
      },
      {
        benchmark: `16. fan-out ${width} on Kubernetes (test server): API requests per task`,
        result: `${(requests / tasks).toFixed(2)} requests/task`,
        vsFloor: '-',
        target: '<= 3 (logs excluded, as Batch)',
        met: requests / tasks <= 3,
        raw: { requestsPerTask: requests / tasks, requests },
      },
    ];
  } finally {
    await kube.stop();
    await s3.close();
  }
}
