import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeTestServer } from '@flowkit/test-servers';
import { computeProject, eventually, secretFlow, squareFlow } from '../helpers/compute';
import { flowkit, startUntil } from '../helpers/flowkit';
import { S3TestServer } from '../helpers/s3server';

/**
 * `@kubernetes` end to end: the real `flowkit` binary creates Jobs through the real @kubernetes/client-node, over
 * TLS, on the Kubernetes test server, whose kubelet runs each pod's command as a process in an empty directory with
 * only the pod's environment. Pods reach s3rver with credentials from a Secret the test creates (envFrom), so no
 * credential is ever in a manifest.
 */
const UNPULLABLE = 'private.example/not-yours:1';
const PLUGIN = { decorator: 'kubernetes', module: '@flowkit/compute-kube', remoteVariable: 'FLOWKIT_KUBERNETES_POD_NAME', flowName: 'KubeFlow' };
const SENTINEL = `host-secret-${randomBytes(8).toString('hex')}`;
const AUTH_KEY = `auth-key-${randomBytes(8).toString('hex')}`;

describe('@kubernetes', () => {
  let s3: S3TestServer;
  let kube: KubeTestServer;
  let env: Record<string, string>;
  const { dir, env: projectEnv, dump, run, artifacts, attemptRecord } = computeProject(PLUGIN, () => env);

  beforeAll(async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    s3 = await S3TestServer.start(['flowkit']);
    kube = await KubeTestServer.start({ stateDelayMs: 5, gracePeriodMs: 500, unpullableImages: [UNPULLABLE], nodeCapacity: { cpu: '8' } });
    // The pods' S3 credentials, as a cluster admin would store them: a Secret the Jobs reference by name.
    await kube.createSecret('s3-credentials', { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' });
    // A secret setting, stored under its own name as a key.
    await kube.createSecret('flowkit-auth', { FLOWKIT_SERVICE_AUTH_KEY: AUTH_KEY });
    env = {
      ...projectEnv,
      ...s3.env('s3://flowkit/kube'),
      FLOWKIT_DEFAULT_DATASTORE: 's3',
      KUBECONFIG: kube.kubeconfig(),
      FLOWKIT_KUBERNETES_SECRETS: 's3-credentials',
      FLOWKIT_KUBERNETES_IMAGE_PULL_GRACE_SECONDS: '1',
      FLOWKIT_KUBERNETES_UNSCHEDULABLE_SECONDS: '1',
      HOST_SECRET_SENTINEL: SENTINEL,
    };
  });
  afterAll(async () => {
    await kube?.stop();
    await s3?.close();
  });

  const label = (object: { metadata: { labels?: Record<string, string> } }, key: string) => object.metadata.labels?.[`flowkit.dev/${key}`];
  /** A run's Jobs (or pods) in the server; run ids are per flow, so the flow is named too. */
  const ofRun = <T extends { metadata: { labels?: Record<string, string> } }>(objects: T[], flow: string, runId: string, step?: string) =>
    objects.filter((o) => label(o, 'flow') === flow && label(o, 'run') === runId && (step === undefined || label(o, 'step') === step));
  /** A run's Jobs as they were created, read from the requests the server answered (deleted ones too). */
  const created = (flow: string, runId: string) =>
    ofRun(
      kube.requests().filter((r) => r.method === 'POST' && r.path.endsWith('/jobs') && r.status === 201).map((r) => r.body as ReturnType<KubeTestServer['jobs']>[number]),
      flow,
      runId,
    );
  const outcome = (job: ReturnType<KubeTestServer['jobs']>[number]) =>
    (job.status.conditions ?? []).find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')?.type ?? 'Running';

  test('one @kubernetes step runs as Jobs and the rest here; --with kubernetes runs every step; artifacts equal a local run', async () => {
    writeFileSync(join(dir, 'local_flow.ts'), squareFlow(PLUGIN).replace('@kubernetes({ memory: 2048 }) ', ''));
    const local = await run('local_flow.ts', ['--count', '20']);
    expect(local.code).toBe(0);

    const requestsBefore = kube.requests().length;
    const mixed = await run('square_flow.ts', ['--count', '20']);
    expect([mixed.code, mixed.stderr]).toEqual([0, '']);
    expect(mixed.stdout).toContain('total 2870');
    // Pod states and the container's own output stream back under the task's prefix.
    expect(mixed.stdout).toMatch(/square\/\d+ \(kubernetes kubeflow-square-[a-z0-9-]+\)\] Kubernetes pod \S+ is Running\./);
    expect(mixed.stdout).toMatch(/\(kubernetes [a-z0-9-]+\)\] squared 400 secret none/);
    const jobs = ofRun(kube.jobs(), 'KubeFlow', mixed.runId, 'square');
    expect(jobs.length).toBe(20);
    expect(new Set(jobs.map(outcome))).toEqual(new Set(['Complete']));
    expect(jobs[0]!.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'flowkit', 'flowkit.dev/flow': 'KubeFlow', 'flowkit.dev/attempt': '0', 'flowkit.dev/user': 'tester' });
    expect(jobs[0]!.spec).toMatchObject({ backoffLimit: 0, ttlSecondsAfterFinished: 86400 });
    const container = jobs[0]!.spec.template.spec.containers[0]!;
    expect(container.envFrom).toEqual([{ secretRef: { name: 's3-credentials' } }]);
    expect(container.resources).toEqual({ requests: { cpu: '1', memory: '2048Mi', 'ephemeral-storage': '10240Mi' }, limits: { memory: '2048Mi' } });
    // No credential and nothing of the host's environment is in a manifest (a presigned URL names its access key only).
    // (The bootstrap's source names AWS_SECRET_ACCESS_KEY, where it reads a job's own credentials: look at env entries.)
    for (const job of jobs) {
      expect(JSON.stringify(job)).not.toContain(SENTINEL);
      expect(job.spec.template.spec.containers.flatMap((c) => c.env ?? []).map((e) => e.name)).not.toEqual(expect.arrayContaining([expect.stringMatching(/^AWS_(SECRET_ACCESS_KEY|ACCESS_KEY_ID|SESSION_TOKEN)$/)]));
    }
    expect(Object.values(await dump(mixed.runId, 'square')).map((a) => a.where)).toEqual(Array(20).fill('remote'));
    expect(await artifacts(mixed.runId)).toEqual(await artifacts(local.runId));
    // One watch of Jobs and one of pods for the whole run, never a look per Job.
    const requests = kube.requests().slice(requestsBefore);
    expect(requests.filter((r) => r.query.watch === 'true').map((r) => r.path).sort()).toEqual(['/api/v1/namespaces/default/pods', '/apis/batch/v1/namespaces/default/jobs']);
    expect(requests.filter((r) => r.method === 'GET' && /\/jobs\/[^/]+$|\/pods\/[^/]+$/.test(r.path))).toEqual([]);

    const everywhere = await run('square_flow.ts', ['--count', '20', '--with', 'kubernetes']);
    expect([everywhere.code, everywhere.stderr]).toEqual([0, '']);
    expect(ofRun(kube.jobs(), 'KubeFlow', everywhere.runId).length).toBe(23);
    expect(await artifacts(everywhere.runId)).toEqual(await artifacts(local.runId));
    const logs = await flowkit(['logs', 'KubeFlow', `${everywhere.runId}/end`], { cwd: dir, env });
    expect(logs.stdout).toContain('total 2870');
  }, 480000);

  test('a failed pod is retried as a new Job; @catch on the last attempt stores the failure', async () => {
    const retried = await run('fault_flow.ts', ['--mode', 'retry']);
    expect([retried.code, retried.stderr]).toEqual([0, '']);
    expect(retried.stdout).toContain('value 42 failure none');
    expect(ofRun(kube.jobs(), 'FaultFlow', retried.runId, 'work').map((job) => [label(job, 'attempt'), outcome(job)])).toEqual([['0', 'Failed'], ['1', 'Complete']]);
    expect(attemptRecord(retried.runId, 'work', 0)).toMatchObject({ status: 'failed', error: 'Error: the first attempt fails' });

    const caught = await run('fault_flow.ts', ['--mode', 'fail']);
    expect(caught.code).toBe(0);
    expect(caught.stdout).toContain('value undefined failure caught');
    expect(caught.stdout).toMatch(/work\/\d+ \(kubernetes [a-z0-9-]+\)\] @catch caught Error: every attempt fails/);
    expect(ofRun(kube.jobs(), 'FaultFlow', caught.runId, 'work').map(outcome)).toEqual(['Failed', 'Complete']);
  }, 120000);

  test('output arrives whole and in order while the watches drop and their history expires', async () => {
    const running = startUntil(['run', 'fault_flow.ts', '--mode', 'lines'], { cwd: dir, env }, / line 0\n/);
    await running.reached;
    expect(kube.dropWatches()).toBe(2);
    kube.expireWatchHistory();
    expect(await running.exited).toBe(0);
    const lines = running.output().split('\n').filter((line) => / line \d+$/.test(line)).map((line) => Number(line.split(' ').pop()));
    expect(lines).toEqual(Array.from({ length: 40 }, (_, i) => i));
  }, 120000);

  test('Ctrl-C deletes every Job of the run and its pods; the run resumes', async () => {
    const running = startUntil(['run', 'fault_flow.ts', '--mode', 'nap', '--run-id-file', 'nap-id'], { cwd: dir, env }, /work\/\d+ \(kubernetes .*attempt 0 mode nap/);
    await running.reached;
    const runId = readFileSync(join(dir, 'nap-id'), 'utf8').trim();
    expect(ofRun(kube.jobs(), 'FaultFlow', runId, 'work').length).toBe(1);
    running.child.kill('SIGINT');
    expect(await running.exited).toBe(130);
    expect(ofRun(kube.jobs(), 'FaultFlow', runId)).toEqual([]);
    await eventually(() => (ofRun(kube.pods(), 'FaultFlow', runId).length > 0 ? undefined : true));
    const deletes = kube.requests().filter((r) => r.method === 'DELETE' && r.path.includes('/jobs/'));
    expect(deletes.at(-1)?.query).toMatchObject({ propagationPolicy: 'Background' });
    const resumed = await flowkit(['resume', 'fault_flow.ts', '--origin-run-id', runId], { cwd: dir, env });
    expect([resumed.code, resumed.stderr]).toEqual([0, '']);
    expect(resumed.stdout).toContain('value 42 failure none');
  }, 120000);

  test('@timeout deletes the Job; an OOM kill and an eviction say so in the task error', async () => {
    const timedOut = await run('fault_flow.ts', ['--mode', 'nap', '--with', 'timeout:seconds=4']);
    expect(timedOut.code).toBe(0);
    // Deleted on time; each carried the deadline that holds without the scheduler.
    expect(ofRun(kube.jobs(), 'FaultFlow', timedOut.runId, 'work')).toEqual([]);
    expect(created('FaultFlow', timedOut.runId).map((job) => job.spec.activeDeadlineSeconds)).toEqual([64, 64]);
    expect(attemptRecord(timedOut.runId, 'work', 0).error).toBe('Task timed out after 4 s');

    const napping = startUntil(['run', 'fault_flow.ts', '--mode', 'nap', '--run-id-file', 'oom-id'], { cwd: dir, env }, /attempt 0 mode nap/);
    await napping.reached;
    const runId = readFileSync(join(dir, 'oom-id'), 'utf8').trim();
    const running = (attempt: string) =>
      eventually(() => ofRun(kube.pods(), 'FaultFlow', runId).find((p) => label(p, 'attempt') === attempt && p.status.phase === 'Running' && napping.output().includes(`attempt ${attempt} mode nap`)));
    kube.oomKillPod((await running('0')).metadata.name);
    kube.evictPod((await running('1')).metadata.name);
    expect(await napping.exited).toBe(0);
    expect(attemptRecord(runId, 'work', 0).error).toMatch(/^Task exited with code 137: OOMKilled: the container went past its memory limit \(4096Mi\) \(pod [a-z0-9-]+\)$/);
    expect(attemptRecord(runId, 'work', 1).error).toMatch(/^Task exited with code 137: Evicted: The node was low on resource: memory\. .* \(pod [a-z0-9-]+\)$/);
    // The container died before the task could catch anything: @catch's fallback attempt runs here.
    expect(napping.output()).toMatch(/work\/\d+ \(pid \d+\)\] Task is starting \(retry 2\)/);
    expect(napping.output()).toContain('value undefined failure caught');
  }, 120000);

  test('a pod that cannot start fails fast with the reason: an image that cannot be pulled, no node with room', async () => {
    const image = await run('square_flow.ts', ['--with', `kubernetes:image=${UNPULLABLE}`, '--count', '1']);
    expect(image.code).toBe(1);
    expect(image.stdout + image.stderr).toMatch(
      new RegExp(`Task \\S+ ended without running: ImagePullBackOff: Back-off pulling image "${UNPULLABLE}" \\(pod [a-z0-9-]+\\); gave up after 1 s \\(FLOWKIT_KUBERNETES_IMAGE_PULL_GRACE_SECONDS\\)`),
    );
    const big = await run('square_flow.ts', ['--with', 'kubernetes:cpu=64', '--count', '1']);
    expect(big.code).toBe(1);
    expect(big.stdout + big.stderr).toContain('Unschedulable: 0/1 nodes are available: 1 Insufficient cpu.');
    // Given up means deleted: nothing is left waiting in the cluster.
    expect([...ofRun(kube.jobs(), 'KubeFlow', image.runId), ...ofRun(kube.jobs(), 'KubeFlow', big.runId)]).toEqual([]);
  }, 120000);

  test('bad input stops with one clear line naming the thing, and creates no Job', async () => {
    const before = kube.jobs().length;
    const fails = async (args: string[], extraEnv: Record<string, string>, message: string | RegExp) => {
      const result = await flowkit(['run', 'square_flow.ts', '--count', '1', ...args], { cwd: dir, env: { ...env, ...extraEnv } });
      expect(result.code).toBe(1);
      expect(result.stdout + result.stderr).toMatch(message);
    };
    await fails(['--datastore', 'local'], {}, "Kubernetes pods cannot reach the 'local' datastore, which is on this machine.");
    await fails(['--with', 'kubernetes:cpu=lots'], {}, '@kubernetes: cpu="lots" is not valid; cpu takes a number of CPUs above 0.');
    await fails([], { KUBECONFIG: '/nonexistent/kubeconfig' }, /Cannot read the Kubernetes config \/nonexistent\/kubeconfig: ENOENT/);
    await fails([], { KUBECONFIG: '', HOME: mkdtempSync(join(tmpdir(), 'flowkit-home-')) }, 'No Kubernetes cluster is configured');
    await fails(['--with', 'kubernetes:namespace=nowhere'], {}, /could not be launched: Kubernetes refused Job \S+ \(namespace 'nowhere', image 'node:\d+'\): namespaces "nowhere" not found/);
    expect(kube.jobs().length).toBe(before);
  }, 120000);

  test('a secret setting reaches pods from a Secret only, host-bound settings not at all; no Secret named: refused before any Job', async () => {
    const home = join(dir, 'flowkit-home');
    const sent = kube.requests().length;
    const secret = { FLOWKIT_SERVICE_AUTH_KEY: AUTH_KEY, FLOWKIT_HOME: home };
    const passed = await run('secret_flow.ts', [], { ...secret, FLOWKIT_KUBERNETES_SECRETS: 's3-credentials,flowkit-auth' });
    expect([passed.code, passed.stderr]).toEqual([0, '']);
    expect(passed.stdout).toContain(`key ${createHash('sha256').update(AUTH_KEY).digest('hex')} cache unset home unset`);
    // Neither the key nor a host path is in a manifest or any other request.
    const requests = kube.requests().slice(sent);
    expect(requests.filter((r) => r.method === 'POST' && r.path.endsWith('/jobs') && r.status === 201).length).toBe(1);
    const received = JSON.stringify(requests);
    for (const value of [AUTH_KEY, home, env.FLOWKIT_S3_CACHE_DIR as string, env.FLOWKIT_DATASTORE_SYSROOT_LOCAL as string]) expect(received).not.toContain(value);

    const jobs = kube.requests().length;
    const refused = await flowkit(['run', 'secret_flow.ts'], { cwd: dir, env: { ...env, ...secret, FLOWKIT_KUBERNETES_SECRETS: '' } });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("FLOWKIT_SERVICE_AUTH_KEY is a secret: the pods of step 'start' get it only by reference, and none is configured.");
    expect(refused.stderr).toContain("name that Secret in @kubernetes({ secrets: [...] }) on step 'start' or in FLOWKIT_KUBERNETES_SECRETS");
    expect(kube.requests().slice(jobs).filter((r) => r.method === 'POST')).toEqual([]);
  }, 120000);

  test('a step naming its own Secret gets a secret setting without FLOWKIT_KUBERNETES_SECRETS; a step naming none is refused, before any Job', async () => {
    writeFileSync(
      join(dir, 'own_secret_flow.ts'),
      secretFlow(PLUGIN).replace('class SecretFlow', 'class OwnSecretFlow').replace('@kubernetes()', "@kubernetes({ secrets: ['s3-credentials', 'flowkit-auth'] })"),
    );
    const secret = { FLOWKIT_SERVICE_AUTH_KEY: AUTH_KEY, FLOWKIT_KUBERNETES_SECRETS: '' };
    const passed = await run('own_secret_flow.ts', [], secret);
    expect([passed.code, passed.stderr]).toEqual([0, '']);
    expect(passed.stdout).toContain(`key ${createHash('sha256').update(AUTH_KEY).digest('hex')}`);
    expect(created('OwnSecretFlow', passed.runId).map((job) => job.spec.template.spec.containers[0]!.envFrom)).toEqual([[{ secretRef: { name: 's3-credentials' } }, { secretRef: { name: 'flowkit-auth' } }]]);

    // --with kubernetes gives `end` pods too, and nothing names a Secret for them: the run stops before any Job.
    const requests = kube.requests().length;
    const refused = await flowkit(['run', 'own_secret_flow.ts', '--with', 'kubernetes'], { cwd: dir, env: { ...env, ...secret } });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("FLOWKIT_SERVICE_AUTH_KEY is a secret: the pods of step 'end' get it only by reference, and none is configured.");
    expect(refused.stderr).toContain("on step 'end' or in FLOWKIT_KUBERNETES_SECRETS");
    expect(kube.requests().slice(requests).filter((r) => r.method === 'POST')).toEqual([]);
  }, 120000);

  test('kubernetes list shows the run\'s unfinished Jobs; kubernetes kill deletes them and the task fails saying so', async () => {
    const running = startUntil(['run', 'fault_flow.ts', '--mode', 'nap', '--run-id-file', 'listed-id'], { cwd: dir, env }, /attempt 0 mode nap/);
    await running.reached;
    const runId = readFileSync(join(dir, 'listed-id'), 'utf8').trim();
    const listed = await flowkit(['kubernetes', 'list', '--my-runs'], { cwd: dir, env });
    expect(listed.stderr).toBe('');
    expect(listed.stdout).toMatch(new RegExp(`^faultflow-work-${runId}-\\d+-0-[a-z0-9]{5}\\s+FaultFlow/${runId}/work/\\d+\\s+0\\s+Running\\s+tester$`, 'm'));
    expect((await flowkit(['kubernetes', 'list', '--user', 'someone-else'], { cwd: dir, env })).stdout).toBe('No unfinished FlowKit Jobs match.\n');
    const refused = await flowkit(['kubernetes', 'kill'], { cwd: dir, env });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('kubernetes kill needs to know whose Jobs to stop.');

    // Both attempts (@retry) are killed; @catch stores the failure.
    expect((await flowkit(['kubernetes', 'kill', '--run-id', runId], { cwd: dir, env })).stdout).toContain('Deleted 1 Job.');
    await eventually(() => (running.output().includes('attempt 1 mode nap') ? true : undefined));
    expect((await flowkit(['kubernetes', 'kill', '--my-runs'], { cwd: dir, env })).stdout).toContain('Deleted 1 Job.');
    expect(await running.exited).toBe(0);
    expect(attemptRecord(runId, 'work', 0).error).toMatch(/^Task (exited with code 1(37|43)|was killed by SIGTERM): the Kubernetes Job was deleted \(flowkit kubernetes kill, kubectl delete\)$/);
    expect(ofRun(kube.jobs(), 'FaultFlow', runId)).toEqual([]);
  }, 120000);

  test('a task\'s code package carries the decorator\'s checks, not the Kubernetes client', async () => {
    const packages = (await s3.keys('kube/KubeFlow/_code/')).filter((key) => key.endsWith('.cjs'));
    expect(packages.length).toBeGreaterThan(0);
    for (const key of packages) {
      const code = await s3.text(key);
      expect(code).toContain('following Kubernetes label rules');
      expect(code).not.toMatch(/createNamespacedJob|client-node/);
    }
  });
});
