import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { apiError, condition, followLog, nodeJob, startHarness, Watcher, type Harness, type WatchEvent } from './testSupport';

/** Jobs through the real @kubernetes/client-node: the Job controller, the kubelet's processes, logs, deletion. */
describe('Kubernetes test server: Jobs run as local processes', () => {
  let h: Harness;
  let scratch: string;
  beforeAll(async () => {
    h = await startHarness();
    scratch = mkdtempSync(join(tmpdir(), 'kube-jobs-test-'));
  });
  afterAll(async () => {
    await h.server.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** One watch on the run's Jobs and one on its pods, by label selector, as the compute plugin watches. */
  async function watchRun(run: string) {
    const labelSelector = `flowkit.dev/run=${run}`;
    const jobs = await Watcher.open(h, '/apis/batch/v1/namespaces/default/jobs', { labelSelector });
    const pods = await Watcher.open(h, '/api/v1/namespaces/default/pods', { labelSelector });
    return { jobs, pods, labels: { 'flowkit.dev/run': run } };
  }

  const stopAll = (...watchers: Watcher[]) => watchers.forEach((w) => w.stop());
  const running = (e: WatchEvent) => e.object.status?.phase === 'Running';

  it('runs a Job to Complete: pod states, labels, owner, exit code and logs', async () => {
    const { jobs, pods, labels } = await watchRun('complete');
    const script = "console.log('line one'); console.log('line two'); console.error('to stderr')";
    const created = await h.batch.createNamespacedJob({ namespace: 'default', body: nodeJob('hello', script, { labels }) });
    expect(created.metadata?.uid).toBeTruthy();

    const done = await jobs.until((e) => condition(e.object, 'Complete')?.status === 'True', 'hello Complete');
    expect(done.object.status).toMatchObject({ succeeded: 1, ready: 0 });
    expect(done.object.status.completionTime).toBeTruthy();
    expect(condition(done.object, 'SuccessCriteriaMet')?.status).toBe('True');
    const phases = pods.events.map((e) => e.object.status.phase).filter((p, i, all) => p !== all[i - 1]);
    expect(phases).toEqual(['Pending', 'Running', 'Succeeded']);
    expect(pods.events.some((e) => e.object.status.containerStatuses?.[0]?.state.waiting?.reason === 'ContainerCreating')).toBe(true);

    const pod = pods.events[pods.events.length - 1]?.object as any;
    expect(pod.metadata.name).toMatch(/^hello-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(pod.metadata.labels).toMatchObject({
      'job-name': 'hello',
      'batch.kubernetes.io/job-name': 'hello',
      'controller-uid': created.metadata?.uid,
      'flowkit.dev/run': 'complete',
    });
    expect(pod.metadata.ownerReferences).toEqual([
      { apiVersion: 'batch/v1', kind: 'Job', name: 'hello', uid: created.metadata?.uid, controller: true, blockOwnerDeletion: true },
    ]);
    const terminated = pod.status.containerStatuses[0].state.terminated;
    expect(terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(Date.parse(terminated.finishedAt)).toBeGreaterThanOrEqual(Date.parse(terminated.startedAt));

    const log = await h.core.readNamespacedPodLog({ name: pod.metadata.name, namespace: 'default', container: 'main' });
    expect(log.split('\n').sort()).toEqual(['', 'line one', 'line two', 'to stderr']);
    expect(log.indexOf('line one')).toBeLessThan(log.indexOf('line two'));
    const stamped = await h.core.readNamespacedPodLog({ name: pod.metadata.name, namespace: 'default', timestamps: true });
    expect(stamped).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line one$/m);
    const read = await h.batch.readNamespacedJob({ name: 'hello', namespace: 'default' });
    expect(read.status?.startTime?.getTime()).toBeGreaterThan(0);
    stopAll(jobs, pods);
  });

  it('streams a followed log line by line while the container runs, and ends it when the container exits', async () => {
    const { jobs, pods, labels } = await watchRun('follow');
    const gate = join(scratch, 'go');
    const script =
      "console.log('ready'); const fs = require('fs'); const t = setInterval(() => { if (fs.existsSync(process.env.GATE)) { console.log('done'); clearInterval(t); } }, 10)";
    await h.batch.createNamespacedJob({ namespace: 'default', body: nodeJob('follow', script, { labels, env: [{ name: 'GATE', value: gate }] }) });
    const pod = (await pods.until(running, 'follow Running')).object.metadata.name;

    const log = await followLog(h, pod);
    await waitForText(log.text, 'ready\n');
    const current = await h.core.readNamespacedPod({ name: pod, namespace: 'default' });
    expect(current.status?.phase).toBe('Running');
    expect(log.text()).toBe('ready\n');
    writeFileSync(gate, '');
    await log.ended;
    expect(log.text()).toBe('ready\ndone\n');
    await jobs.until((e) => condition(e.object, 'Complete')?.status === 'True', 'follow Complete');
    stopAll(jobs, pods);
  });

  it('fails the Job when the container exits non-zero, with the exit code in the terminated state', async () => {
    const { jobs, pods, labels } = await watchRun('exit3');
    await h.batch.createNamespacedJob({ namespace: 'default', body: nodeJob('exit3', "console.error('boom'); process.exit(3)", { labels }) });
    const failed = await jobs.until((e) => condition(e.object, 'Failed')?.status === 'True', 'exit3 Failed');
    expect(condition(failed.object, 'Failed')).toMatchObject({ reason: 'BackoffLimitExceeded' });
    expect(condition(failed.object, 'FailureTarget')).toMatchObject({ status: 'True', reason: 'BackoffLimitExceeded' });
    expect(failed.object.status).toMatchObject({ failed: 1 });
    expect(failed.object.status.succeeded).toBeUndefined();
    const pod = pods.events.find((e) => e.object.status.phase === 'Failed')?.object as any;
    expect(pod.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(await h.core.readNamespacedPodLog({ name: pod.metadata.name, namespace: 'default' })).toBe('boom\n');
    stopAll(jobs, pods);
  });

  it('enforces activeDeadlineSeconds: the process is killed and the Job fails with DeadlineExceeded', async () => {
    const { jobs, pods, labels } = await watchRun('deadline');
    const started = Date.now();
    const body = nodeJob('deadline', 'setInterval(() => {}, 1000)', { labels, spec: { activeDeadlineSeconds: 1 } });
    await h.batch.createNamespacedJob({ namespace: 'default', body });
    const running = await pods.until((e) => e.object.status.phase === 'Running', 'deadline Running');
    const pid = h.server.podPid(running.object.metadata.name);
    const failed = await jobs.until((e) => condition(e.object, 'Failed')?.status === 'True', 'deadline Failed');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(condition(failed.object, 'Failed')).toMatchObject({ reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' });
    await pods.until((e) => e.type === 'DELETED', 'deadline pod deleted');
    expect(() => process.kill(pid as number, 0)).toThrow();
    stopAll(jobs, pods);
  });

  it('deletes a running Job (Background): the Job goes, SIGTERM reaches the process, then the pod goes', async () => {
    const { jobs, pods, labels } = await watchRun('sigterm');
    const script = "process.on('SIGTERM', () => { console.log('got SIGTERM'); process.exit(0); }); console.log('started'); setInterval(() => {}, 1000)";
    await h.batch.createNamespacedJob({ namespace: 'default', body: nodeJob('sigterm', script, { labels }) });
    const pod = (await pods.until(running, 'sigterm Running')).object.metadata.name;
    const log = await followLog(h, pod);
    await waitForText(log.text, 'started\n');

    await h.batch.deleteNamespacedJob({ name: 'sigterm', namespace: 'default', propagationPolicy: 'Background' });
    await jobs.until((e) => e.type === 'DELETED', 'sigterm Job deleted');
    await log.ended;
    expect(log.text()).toBe('started\ngot SIGTERM\n');
    const gone = await pods.until((e) => e.type === 'DELETED', 'sigterm pod deleted');
    expect(gone.object.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 0 });
    expect(pods.events.some((e) => e.type === 'MODIFIED' && e.object.metadata.deletionTimestamp)).toBe(true);
    stopAll(jobs, pods);
  });

  it('kills a process that ignores SIGTERM after the grace period (Foreground: pods first, then the Job)', async () => {
    const { jobs, pods, labels } = await watchRun('stubborn');
    const script = "process.on('SIGTERM', () => console.log('ignoring SIGTERM')); console.log('started'); setInterval(() => {}, 1000)";
    await h.batch.createNamespacedJob({ namespace: 'default', body: nodeJob('stubborn', script, { labels }) });
    const pod = (await pods.until(running, 'stubborn Running')).object.metadata.name;
    const log = await followLog(h, pod);
    await waitForText(log.text, 'started\n');

    const deleting = Date.now();
    await h.batch.deleteNamespacedJob({ name: 'stubborn', namespace: 'default', propagationPolicy: 'Foreground' });
    const marked = await jobs.until((e) => e.type === 'MODIFIED' && !!e.object.metadata.deletionTimestamp, 'stubborn marked');
    expect(marked.object.metadata.finalizers).toEqual(['foregroundDeletion']);
    await waitForText(log.text, 'ignoring SIGTERM\n');
    const podGone = await pods.until((e) => e.type === 'DELETED', 'stubborn pod deleted');
    // gracePeriodMs caps the pod's 30 s at 500 ms: the SIGKILL comes then, not earlier.
    expect(Date.now() - deleting).toBeGreaterThanOrEqual(450);
    expect(podGone.object.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 137, reason: 'Error' });
    const jobGone = await jobs.until((e) => e.type === 'DELETED', 'stubborn Job deleted');
    expect(Number(jobGone.object.metadata.resourceVersion)).toBeGreaterThan(Number(podGone.object.metadata.resourceVersion));
    stopAll(jobs, pods);
  });

  it('orphans the pods when a Job is deleted without a propagationPolicy, as batch/v1 does', async () => {
    const { jobs, pods, labels } = await watchRun('orphan');
    await h.batch.createNamespacedJob({ namespace: 'default', body: nodeJob('orphan', 'setInterval(() => {}, 1000)', { labels }) });
    const pod = (await pods.until(running, 'orphan Running')).object.metadata.name;
    await h.batch.deleteNamespacedJob({ name: 'orphan', namespace: 'default' });
    await jobs.until((e) => e.type === 'DELETED', 'orphan Job deleted');
    const orphaned = await h.core.readNamespacedPod({ name: pod, namespace: 'default' });
    expect(orphaned.metadata?.ownerReferences).toBeUndefined();
    expect(orphaned.status?.phase).toBe('Running');
    const pid = h.server.podPid(pod) as number;
    expect(() => process.kill(pid, 0)).not.toThrow();
    await h.core.deleteNamespacedPod({ name: pod, namespace: 'default', gracePeriodSeconds: 0 });
    await pods.until((e) => e.type === 'DELETED', 'orphan pod deleted');
    await waitForGone(pid);
    stopAll(jobs, pods);
  });

  it('builds the env from env, secretKeyRef and envFrom only: no host variable leaks in', async () => {
    process.env.FLOWKIT_KUBE_SENTINEL = 'host-only';
    const { jobs, pods, labels } = await watchRun('env');
    await h.core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'db' }, stringData: { password: 's3cret' } } });
    const token = Buffer.from('tok-123').toString('base64');
    await h.core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'more' }, data: { TOKEN: token } } });
    const env = [
      { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
      { name: 'GREETING', value: 'hello $(HOSTNAME)' },
    ];
    const script = 'console.log(JSON.stringify({ env: process.env, cwd: process.cwd() }))';
    const container = { envFrom: [{ prefix: 'X_', secretRef: { name: 'more' } }] };
    await h.batch.createNamespacedJob({ namespace: 'default', body: nodeJob('env', script, { labels, env, container }) });
    await jobs.until((e) => condition(e.object, 'Complete')?.status === 'True', 'env Complete');
    const pod = pods.events[0]?.object.metadata.name as string;
    const out = JSON.parse(await h.core.readNamespacedPodLog({ name: pod, namespace: 'default' }));
    expect(Object.keys(out.env).sort()).toEqual(['GREETING', 'HOME', 'HOSTNAME', 'PASSWORD', 'PATH', 'TMPDIR', 'X_TOKEN']);
    expect(out.env).toMatchObject({ PASSWORD: 's3cret', X_TOKEN: 'tok-123', HOSTNAME: pod, GREETING: `hello ${pod}`, HOME: out.cwd, TMPDIR: out.cwd });
    expect(out.env.PATH.split(':')[0]).toBe(dirname(process.execPath));
    stopAll(jobs, pods);
    delete process.env.FLOWKIT_KUBE_SENTINEL;
  });

  it('leaves a pod in CreateContainerConfigError while its secret is missing, and starts it once it exists', async () => {
    const { jobs, pods, labels } = await watchRun('nosecret');
    const env = [{ name: 'KEY', valueFrom: { secretKeyRef: { name: 'later', key: 'k' } } }];
    await h.batch.createNamespacedJob({ namespace: 'default', body: nodeJob('nosecret', 'console.log(process.env.KEY)', { labels, env }) });
    const stuck = await pods.until((e) => e.object.status.containerStatuses?.[0]?.state.waiting?.reason === 'CreateContainerConfigError', 'config error');
    expect(stuck.object.status.phase).toBe('Pending');
    expect(stuck.object.status.containerStatuses[0].state.waiting.message).toBe('secret "later" not found');
    const pod = stuck.object.metadata.name;
    const refused = await apiError(h.core.readNamespacedPodLog({ name: pod, namespace: 'default' }));
    expect(refused.code).toBe(400);

    await h.core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'later' }, stringData: { k: 'now-here' } } });
    await jobs.until((e) => condition(e.object, 'Complete')?.status === 'True', 'nosecret Complete');
    expect(await h.core.readNamespacedPodLog({ name: pod, namespace: 'default' })).toBe('now-here\n');
    stopAll(jobs, pods);
  });

  it('evictPod kills the process; the pod fails as Evicted and the Job fails', async () => {
    const { jobs, pods, labels } = await watchRun('evict');
    await h.batch.createNamespacedJob({ namespace: 'default', body: nodeJob('evict', 'setInterval(() => {}, 1000)', { labels }) });
    const pod = (await pods.until(running, 'evict Running')).object.metadata.name;
    h.server.evictPod(pod);
    const evicted = await pods.until((e) => e.object.status.phase === 'Failed', 'evict pod Failed');
    expect(evicted.object.status).toMatchObject({ reason: 'Evicted' });
    expect(evicted.object.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 137 });
    expect(evicted.object.status.conditions.find((c: { type: string }) => c.type === 'DisruptionTarget')).toBeTruthy();
    const failed = await jobs.until((e) => condition(e.object, 'Failed')?.status === 'True', 'evict Job Failed');
    expect(condition(failed.object, 'Failed')?.reason).toBe('BackoffLimitExceeded');
    stopAll(jobs, pods);
  });

  it('retries in a new pod while failures stay within backoffLimit', async () => {
    const { jobs, pods, labels } = await watchRun('retry');
    const mark = join(scratch, 'attempted');
    const script = "const fs = require('fs'); if (!fs.existsSync(process.env.MARK)) { fs.writeFileSync(process.env.MARK, ''); process.exit(1); } console.log('second try')";
    const body = nodeJob('retry', script, { labels, env: [{ name: 'MARK', value: mark }], spec: { backoffLimit: 1 } });
    await h.batch.createNamespacedJob({ namespace: 'default', body });
    const done = await jobs.until((e) => condition(e.object, 'Complete')?.status === 'True', 'retry Complete');
    expect(done.object.status).toMatchObject({ failed: 1, succeeded: 1 });
    expect(new Set(pods.events.map((e) => e.object.metadata.name)).size).toBe(2);
    stopAll(jobs, pods);
  });

  it('deletes a finished Job and its pods after ttlSecondsAfterFinished', async () => {
    const { jobs, pods, labels } = await watchRun('ttl');
    const body = nodeJob('ttl', "console.log('bye')", { labels, spec: { ttlSecondsAfterFinished: 0 } });
    await h.batch.createNamespacedJob({ namespace: 'default', body });
    await jobs.until((e) => condition(e.object, 'Complete')?.status === 'True', 'ttl Complete');
    await jobs.until((e) => e.type === 'DELETED', 'ttl Job deleted');
    await pods.until((e) => e.type === 'DELETED', 'ttl pod deleted');
    expect(h.server.jobs().some((j) => j.metadata.name === 'ttl')).toBe(false);
    stopAll(jobs, pods);
  });
});

async function waitForText(text: () => string, expected: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!text().includes(expected)) {
    if (Date.now() > deadline) throw new Error(`log never showed ${JSON.stringify(expected)}; got ${JSON.stringify(text())}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function waitForGone(pid: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    if (Date.now() > deadline) throw new Error(`process ${pid} still alive`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
