import { Config } from '@flowkit/core/plugin';
import { validateKubernetesAttributes } from './attributes';
import { jobManifest, jobName, labelValue, selector } from './manifest';

const LABEL = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

describe('the Job manifest and the attributes it is built from', () => {
  it('names a Job within 63 DNS characters, keeping the ids when the flow and step are long', () => {
    const ref = { flowName: 'A'.repeat(80) + 'Flow', runId: '1234567', stepName: 'train_model_with_a_long_name', taskId: '89' };
    const name = jobName(ref, 2);
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(name).toMatch(/-1234567-89-2-[a-z0-9]{5}$/);
    expect(jobName(ref, 2)).not.toBe(name);
    expect(jobName({ flowName: 'HelloFlow', runId: '3', stepName: 'start', taskId: '1' }, 0)).toMatch(/^helloflow-start-3-1-0-[a-z0-9]{5}$/);
  });

  it('cleans label values to the label rules; one cut short keeps a hash of the whole', () => {
    expect(labelValue('alice@example.com')).toBe('alice-example.com');
    expect(labelValue('_x_')).toBe('x');
    const long = labelValue(`${'u'.repeat(70)}@corp`);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(LABEL);
    expect(labelValue(`${'u'.repeat(70)}@other`)).not.toBe(long);
    expect(selector({ flow: 'HelloFlow', runId: '3', user: 'a b' })).toBe('app.kubernetes.io/managed-by=flowkit,flowkit.dev/flow=HelloFlow,flowkit.dev/run=3,flowkit.dev/user=a-b');
  });

  it('builds a Job of one attempt: no Kubernetes retries, secrets by reference, @resources when larger', () => {
    const attributes = validateKubernetesAttributes({ gpu: 1, secrets: ['s3'], labels: { team: 'ml' }, persistentVolumeClaims: { data: '/data' } }, new Config({ FLOWKIT_KUBERNETES_SECRETS: 'base' }));
    const command = { argv: ['node', '-e', 'src', 'url'], env: { FLOWKIT_USER: 'ann' }, bootstrap: { source: 'src', args: ['url'] }, codePackage: { sha: 's', key: 'k', url: 'u' } };
    const ref = { flowName: 'F', runId: '1', stepName: 's', taskId: '2' };
    const job = jobManifest({ name: 'f-s-1-2-0-abcde', namespace: 'ml', ref, attempt: 0, user: 'ann', command, attributes, resources: { cpu: 4, memory: 8192, gpu: 1, disk: 10240 }, ttlSecondsAfterFinished: 60 });
    expect(job.spec).toMatchObject({ backoffLimit: 0, ttlSecondsAfterFinished: 60 });
    const pod = job.spec!.template.spec!;
    const container = pod.containers[0]!;
    expect(pod.restartPolicy).toBe('Never');
    expect(container.command).toEqual(command.argv);
    expect(container.envFrom).toEqual([{ secretRef: { name: 'base' } }, { secretRef: { name: 's3' } }]);
    expect(container.resources).toEqual({ requests: { cpu: '4', memory: '8192Mi', 'ephemeral-storage': '10240Mi', 'nvidia.com/gpu': '1' }, limits: { memory: '8192Mi', 'nvidia.com/gpu': '1' } });
    expect(container.volumeMounts).toEqual([{ name: 'pvc-0', mountPath: '/data' }]);
    expect(pod.volumes).toEqual([{ name: 'pvc-0', persistentVolumeClaim: { claimName: 'data' } }]);
    expect(job.metadata?.labels).toMatchObject({ team: 'ml', 'flowkit.dev/flow': 'F', 'flowkit.dev/user': 'ann' });
    expect(job.metadata?.annotations).toEqual({ 'flowkit.dev/pathspec': 'F/1/s/2', 'flowkit.dev/user': 'ann' });
  });

  it('refuses attributes Kubernetes would refuse, naming the attribute', () => {
    const config = new Config({});
    expect(() => validateKubernetesAttributes({ cpu: 'lots' }, config)).toThrow('@kubernetes: cpu="lots" is not valid; cpu takes a number of CPUs above 0.');
    expect(() => validateKubernetesAttributes({ namespace: 'Not_A_Namespace' }, config)).toThrow('@kubernetes: namespace="Not_A_Namespace" is not valid');
    expect(() => validateKubernetesAttributes({ labels: { team: 'not valid!' } }, config)).toThrow('@kubernetes: labels={"team":"not valid!"} is not valid');
    expect(() => validateKubernetesAttributes({ tolerations: [{ effect: 'Sometimes' }] }, config)).toThrow('@kubernetes: tolerations=');
    expect(() => validateKubernetesAttributes({ persistentVolumeClaims: { data: 'relative' } }, config)).toThrow('@kubernetes: persistentVolumeClaims=');
    expect(() => validateKubernetesAttributes({ queue: 'q' }, config)).toThrow("@kubernetes has no attribute 'queue'.");
    expect(validateKubernetesAttributes({}, new Config({ FLOWKIT_KUBERNETES_NODE_SELECTOR: 'pool=gpu, zone=a' })).nodeSelector).toEqual({ pool: 'gpu', zone: 'a' });
  });
});
