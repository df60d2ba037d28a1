import { podState } from './podState';

const pod = (status: object, limits?: object) => ({ metadata: { name: 'p-1' }, spec: { containers: [{ image: 'img:1', resources: { limits } }] }, status });

describe('what a pod says about its attempt', () => {
  it('ended: success, an exit code, OOMKilled with the limit, an eviction', () => {
    expect(podState(pod({ phase: 'Succeeded', containerStatuses: [{ state: { terminated: { exitCode: 0, reason: 'Completed' } } }] })).exit).toEqual({ code: 0, signal: null });
    expect(podState(pod({ phase: 'Failed', containerStatuses: [{ state: { terminated: { exitCode: 3, reason: 'Error' } } }] })).exit).toEqual({ code: 3, signal: null, reason: undefined });
    const oom = podState(pod({ phase: 'Failed', containerStatuses: [{ state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }] }, { memory: '4096Mi' }));
    expect(oom).toMatchObject({ summary: 'Failed (OOMKilled)', exit: { code: 137, reason: 'OOMKilled: the container went past its memory limit (4096Mi) (pod p-1)' } });
    const evicted = podState(pod({ phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.', containerStatuses: [{ state: { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown' } } }] }));
    expect(evicted.exit?.reason).toBe('Evicted: The node was low on resource: memory.; ContainerStatusUnknown (pod p-1)');
  });

  it('stuck: an image that cannot be pulled, a missing secret, no node with room; not stuck while it is created', () => {
    const waiting = (reason: string, message?: string) => podState(pod({ phase: 'Pending', containerStatuses: [{ state: { waiting: { reason, message } } }] }));
    expect(waiting('ImagePullBackOff', 'Back-off pulling image "img:1"').stuck).toEqual({ kind: 'image', reason: 'ImagePullBackOff: Back-off pulling image "img:1" (pod p-1)' });
    expect(waiting('CreateContainerConfigError', 'secret "s3" not found').stuck?.kind).toBe('image');
    expect(waiting('ContainerCreating')).toEqual({ summary: 'Pending (ContainerCreating)', started: false });
    const conditions = [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient cpu.' }];
    expect(podState(pod({ phase: 'Pending', conditions })).stuck).toEqual({ kind: 'unschedulable', reason: 'Unschedulable: 0/3 nodes are available: 3 Insufficient cpu. (pod p-1)' });
    expect(podState(pod({ phase: 'Running', containerStatuses: [{ state: { running: {} } }] }))).toEqual({ summary: 'Running', started: true });
  });
});
