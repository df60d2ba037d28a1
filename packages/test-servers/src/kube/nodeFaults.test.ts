import { nodeJob, startHarness, Watcher, type Harness } from './testSupport';

/** Pods that never start, as on a cluster: an image that cannot be pulled, requests no node can hold. */
describe('Kubernetes test server: pods that cannot start', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ unpullableImages: ['private.example/missing:1'], nodeCapacity: { cpu: '4', memory: '8Gi' } });
  });
  afterAll(() => h.server.stop());

  const pods = (run: string) => Watcher.open(h, '/api/v1/namespaces/default/pods', { labelSelector: `flowkit.dev/run=${run}` });

  it('an image that cannot be pulled leaves the container waiting in ErrImagePull, then ImagePullBackOff', async () => {
    const watch = await pods('pull');
    const job = nodeJob('unpullable', "console.log('never')", { labels: { 'flowkit.dev/run': 'pull' }, container: { image: 'private.example/missing:1' } });
    await h.batch.createNamespacedJob({ namespace: 'default', body: job });
    const waiting = (reason: string) => (e: { object: any }) => e.object.status.containerStatuses?.[0]?.state.waiting?.reason === reason;
    const pulling = await watch.until(waiting('ErrImagePull'), 'ErrImagePull');
    expect(pulling.object.status.containerStatuses[0].state.waiting.message).toContain('failed to pull and unpack image "private.example/missing:1"');
    const backOff = await watch.until(waiting('ImagePullBackOff'), 'ImagePullBackOff');
    expect(backOff.object.status).toMatchObject({ phase: 'Pending' });
    expect(backOff.object.status.containerStatuses[0].state.waiting.message).toBe('Back-off pulling image "private.example/missing:1"');

    // Deleting the Job takes the pod with it; it never ran.
    await h.batch.deleteNamespacedJob({ name: 'unpullable', namespace: 'default', propagationPolicy: 'Background' });
    await watch.until((e) => e.type === 'DELETED', 'the pod deleted');
    expect(watch.events.some((e) => e.object.status.phase !== 'Pending')).toBe(false);
    watch.stop();
  });

  it('a pod asking more than the node has stays Pending as Unschedulable, with the scheduler\'s message', async () => {
    const watch = await pods('big');
    const job = nodeJob('too-big', "console.log('never')", {
      labels: { 'flowkit.dev/run': 'big' },
      container: { resources: { requests: { cpu: '16', memory: '1Gi' }, limits: { cpu: '16', memory: '1Gi' } } },
    });
    await h.batch.createNamespacedJob({ namespace: 'default', body: job });
    const refused = await watch.until((e) => e.object.status.conditions?.some((c: { reason?: string }) => c.reason === 'Unschedulable'), 'Unschedulable');
    expect(refused.object.status.phase).toBe('Pending');
    expect(refused.object.spec.nodeName).toBeUndefined();
    expect(refused.object.status.conditions).toEqual([
      expect.objectContaining({
        type: 'PodScheduled',
        status: 'False',
        reason: 'Unschedulable',
        message: '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
      }),
    ]);

    // One that fits runs as usual.
    const fits = nodeJob('fits', "console.log('ran')", { labels: { 'flowkit.dev/run': 'big' }, container: { resources: { requests: { cpu: '2', memory: '1Gi' } } } });
    await h.batch.createNamespacedJob({ namespace: 'default', body: fits });
    await watch.until((e) => e.object.metadata.name.startsWith('fits-') && e.object.status.phase === 'Succeeded', 'fits Succeeded');
    watch.stop();
  });
});
