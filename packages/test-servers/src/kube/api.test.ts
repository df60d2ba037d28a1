import { PassThrough } from 'node:stream';
import { apiError, condition, nodeJob, rawRequest, startHarness, waitFor, Watcher, type Harness, type WatchEvent } from './testSupport';

/** The apiserver's API rules through the real client: validation, selectors, watch resumption, faults, auth. */
describe('Kubernetes test server: API', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ namespaces: ['default', 'other'] });
  });
  afterAll(() => h.server.stop());

  const create = (body: object, namespace = 'default') => h.batch.createNamespacedJob({ namespace, body });
  const quick = (name: string, labels: Record<string, string> = {}) => nodeJob(name, "console.log('ok')", { labels });

  it('answers 422 Invalid with a Status naming the field for a Job name over 63 characters', async () => {
    const name = `a${'b'.repeat(63)}`;
    const error = await apiError(create(nodeJob(name, '')));
    expect(error.code).toBe(422);
    expect(error.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Invalid', code: 422 });
    expect(error.body.message).toBe(`Job.batch "${name}" is invalid: metadata.name: Invalid value: "${name}": must be no more than 63 characters`);
    expect(error.body.details).toMatchObject({ name, group: 'batch', kind: 'Job' });
    expect(error.body.details.causes).toEqual([
      { reason: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: "${name}": must be no more than 63 characters` },
    ]);
  });

  it('validates labels, resource quantities and restartPolicy with the apiserver field paths', async () => {
    const body = nodeJob('bad', '', { labels: { 'flowkit.dev/step': 'not valid!' }, container: { resources: { limits: { memory: '2GG' } } } });
    body.spec.template.spec.restartPolicy = undefined;
    const error = await apiError(create(body));
    expect(error.code).toBe(422);
    const fields = error.body.details.causes.map((c: { field: string }) => c.field).sort();
    expect(fields).toEqual([
      'metadata.labels',
      'spec.template.metadata.labels',
      'spec.template.spec.containers[0].resources.limits[memory]',
      'spec.template.spec.restartPolicy',
    ]);
    const ok = await create(nodeJob('quantities-ok', '', { container: { resources: { requests: { cpu: '250m', memory: '1.5Gi' }, limits: { cpu: '2', memory: '2G' } } } }));
    expect(ok.spec?.template.spec?.containers[0]?.resources?.limits).toEqual({ cpu: '2', memory: '2G' });
  });

  it('speaks HTTPS with a certificate of its own CA, which the kubeconfig carries and the client verifies', async () => {
    expect(h.server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect((await h.core.readNamespace({ name: 'default' })).metadata?.name).toBe('default');
    // The same server without its CA is refused: the client really verifies the certificate.
    const untrusted = new h.k8s.KubeConfig();
    untrusted.loadFromOptions({
      clusters: [{ name: 'c', server: h.server.url, skipTLSVerify: false }],
      users: [{ name: 'u', token: h.server.token }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const refused = await untrusted.makeApiClient(h.k8s.CoreV1Api).readNamespace({ name: 'default' }).then(() => undefined, (error: Error) => error);
    expect(String(refused?.message)).toMatch(/self.signed|unable to verify|certificate/i);
  });

  it('generates names, answers 409 AlreadyExists, and 404 for a missing namespace or Job', async () => {
    const body = nodeJob('unused', 'process.exit(0)');
    body.metadata = { generateName: 'gen-' };
    const generated = await create(body);
    expect(generated.metadata?.name).toMatch(/^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    await create(quick('twice'));
    const conflict = await apiError(create(quick('twice')));
    expect(conflict).toMatchObject({ code: 409, body: { reason: 'AlreadyExists', message: 'jobs.batch "twice" already exists' } });
    const noNamespace = await apiError(create(quick('lost'), 'nowhere'));
    expect(noNamespace).toMatchObject({ code: 404, body: { reason: 'NotFound', message: 'namespaces "nowhere" not found' } });
    const missing = await apiError(h.batch.readNamespacedJob({ name: 'absent', namespace: 'default' }));
    expect(missing).toMatchObject({ code: 404, body: { reason: 'NotFound', message: 'jobs.batch "absent" not found' } });
  });

  it('lists Jobs and pods by label selector, in one namespace, with the list resourceVersion', async () => {
    await create(quick('sel-a1', { 'flowkit.dev/run': 'sel-a', 'flowkit.dev/step': 'start' }));
    await create(quick('sel-a2', { 'flowkit.dev/run': 'sel-a', 'flowkit.dev/step': 'end' }));
    await create(quick('sel-b1', { 'flowkit.dev/run': 'sel-b' }));
    await create(quick('sel-a1', { 'flowkit.dev/run': 'sel-a' }), 'other');
    const names = async (labelSelector: string) =>
      (await h.batch.listNamespacedJob({ namespace: 'default', labelSelector })).items.map((j) => j.metadata?.name);
    expect(await names('flowkit.dev/run=sel-a')).toEqual(['sel-a1', 'sel-a2']);
    expect(await names('flowkit.dev/run in (sel-a,sel-b),flowkit.dev/step!=end')).toEqual(['sel-a1', 'sel-b1']);
    expect(await names('flowkit.dev/run=sel-a,!flowkit.dev/step')).toEqual([]);
    const list = await h.batch.listNamespacedJob({ namespace: 'default', labelSelector: 'flowkit.dev/run=sel-b' });
    expect(Number(list.metadata?.resourceVersion)).toBeGreaterThan(0);
    const pods = await waitFor(async () => {
      const found = await h.core.listNamespacedPod({ namespace: 'default', labelSelector: 'job-name=sel-a1' });
      return found.items.length === 1 ? found.items : undefined;
    }, 'the pod of sel-a1');
    expect(pods[0]?.metadata?.ownerReferences?.[0]?.name).toBe('sel-a1');
  });

  it('creates namespaces and answers log queries with tailLines, limitBytes and sinceTime', async () => {
    await h.core.createNamespace({ body: { metadata: { name: 'team-a' } } });
    expect((await h.core.readNamespace({ name: 'team-a' })).status?.phase).toBe('Active');
    await create(nodeJob('logs', "console.log('one'); console.log('two'); console.log('three')"), 'team-a');
    const pod = await waitFor(() => h.server.pods('team-a').find((p) => p.status.phase === 'Succeeded'), 'the logs pod');
    const read = (extra: { tailLines?: number; limitBytes?: number }) =>
      h.core.readNamespacedPodLog({ name: pod.metadata.name, namespace: 'team-a', ...extra });
    expect(await read({})).toBe('one\ntwo\nthree\n');
    expect(await read({ tailLines: 2 })).toBe('two\nthree\n');
    expect(await read({ limitBytes: 6 })).toBe('one\ntw');
    const since = async (sinceTime: string) => {
      let text = '';
      const stream = new PassThrough().on('data', (chunk: Buffer) => (text += chunk.toString()));
      const ended = new Promise((resolve) => stream.on('end', resolve));
      await new h.k8s.Log(h.kc).log('team-a', pod.metadata.name, 'main', stream, { sinceTime });
      await ended;
      return text;
    };
    expect(await since(new Date(Date.now() - 60_000).toISOString())).toBe('one\ntwo\nthree\n');
    expect(await since(new Date(Date.now() + 60_000).toISOString())).toBe('');
    const wrongContainer = await apiError(h.core.readNamespacedPodLog({ name: pod.metadata.name, namespace: 'team-a', container: 'sidecar' }));
    expect(wrongContainer.code).toBe(400);
  });

  it('a watch dropped by the server resumes from its last resourceVersion without missing or repeating events', async () => {
    const labelSelector = 'flowkit.dev/run=resume';
    const start = (await h.batch.listNamespacedJob({ namespace: 'default', labelSelector })).metadata?.resourceVersion as string;
    const path = '/apis/batch/v1/namespaces/default/jobs';
    const first = await Watcher.open(h, path, { labelSelector, resourceVersion: start });
    await create(nodeJob('resume-1', "console.log('one')", { labels: { 'flowkit.dev/run': 'resume' } }));
    await first.until((e) => condition(e.object, 'Complete')?.status === 'True', 'resume-1 Complete');
    expect(h.server.dropWatches()).toBeGreaterThanOrEqual(1);
    expect(await first.done).toBeNull();

    // While nobody watches: a second Job runs to completion.
    await create(nodeJob('resume-2', "console.log('two')", { labels: { 'flowkit.dev/run': 'resume' } }));
    await waitFor(() => h.server.jobs().find((j) => j.metadata.name === 'resume-2' && j.status.succeeded === 1), 'resume-2 done');
    const last = first.events[first.events.length - 1]?.object.metadata.resourceVersion as string;
    const second = await Watcher.open(h, path, { labelSelector, resourceVersion: last });
    await second.until((e) => e.object.metadata.name === 'resume-2' && condition(e.object, 'Complete')?.status === 'True', 'resume-2 Complete');

    const replay = await Watcher.open(h, path, { labelSelector, resourceVersion: start });
    await replay.until((e) => e.object.metadata.name === 'resume-2' && condition(e.object, 'Complete')?.status === 'True', 'replay');
    const key = (e: WatchEvent) => `${e.type}:${e.object.metadata.name}:${e.object.metadata.resourceVersion}`;
    expect([...first.events, ...second.events].map(key)).toEqual(replay.events.map(key));
    expect(replay.events.filter((e) => e.type === 'ADDED').map((e) => e.object.metadata.name)).toEqual(['resume-1', 'resume-2']);
    second.stop();
    replay.stop();
  });

  it('answers a watch from a compacted resourceVersion with a 410 Expired ERROR event', async () => {
    const old = (await h.batch.listNamespacedJob({ namespace: 'default' })).metadata?.resourceVersion as string;
    await create(quick('after-compaction'));
    h.server.expireWatchHistory();
    const watcher = await Watcher.open(h, '/apis/batch/v1/namespaces/default/jobs', { resourceVersion: old });
    await watcher.done;
    expect(watcher.events).toHaveLength(1);
    expect(watcher.events[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
  });

  it('failNext answers the next requests with the given code and a Status body', async () => {
    h.server.failNext(2, 500);
    for (let i = 0; i < 2; i++) {
      const failed = await apiError(h.core.readNamespace({ name: 'default' }));
      expect(failed).toMatchObject({ code: 500, body: { kind: 'Status', reason: 'InternalError', code: 500 } });
    }
    expect((await h.core.readNamespace({ name: 'default' })).status?.phase).toBe('Active');

    h.server.failNext(1, 429, { method: 'POST', path: '/apis/batch/v1/' });
    await h.core.listNamespace();
    const limited = await rawRequest(h, '/apis/batch/v1/namespaces/default/jobs', {
      method: 'POST',
      headers: { Authorization: `Bearer ${h.server.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(quick('throttled')),
    });
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('1');
    expect(limited.json()).toMatchObject({ reason: 'TooManyRequests', code: 429 });
    expect((await create(quick('throttled'))).metadata?.name).toBe('throttled');
  });

  it('rejects requests without the kubeconfig token, warns on the orphaning default, and records requests', async () => {
    const anonymous = await rawRequest(h, '/api/v1/namespaces');
    expect(anonymous.status).toBe(401);
    expect(anonymous.json()).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    await create(quick('warned'));
    const deleted = await rawRequest(h, '/apis/batch/v1/namespaces/default/jobs/warned', {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${h.server.token}` },
    });
    expect(deleted.status).toBe(200);
    expect(deleted.headers.warning).toContain('child pods are preserved by default when jobs are deleted');
    const unknown = await rawRequest(h, '/apis/apps/v1/namespaces/default/deployments', { headers: { Authorization: `Bearer ${h.server.token}` } });
    expect(unknown.status).toBe(404);
    const recorded = h.server.requests().filter((r) => r.path === '/apis/batch/v1/namespaces/default/jobs/warned');
    expect(recorded).toEqual([expect.objectContaining({ method: 'DELETE', status: 200 })]);
  });
});
