import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Flow, Run, configureClient, namespace } from '@flowkit/client';
import { StoredRun } from '../helpers/datastore';
import { flowkit, listFiles, project, startUntil } from '../helpers/flowkit';
import { freePort, startPostgres, type TestPostgres } from '../helpers/postgres';
import { startService, type TestService } from '../helpers/service';

/** The real `flowkit` binary with `--metadata service`, against a real service process on a real PostgreSQL. */
let postgres: TestPostgres;
let service: TestService;
let databases = 0;

beforeAll(async () => {
  postgres = await startPostgres();
  service = await startService({ databaseUrl: await postgres.createDatabase('cli') });
  // For the in-process client below, as for any program that reads through the service.
  process.env.FLOWKIT_SERVICE_URL = service.url;
}, 120000);

afterAll(async () => {
  await service?.stop();
  await postgres?.stop();
});

async function get<T = any>(path: string, url = service.url, token?: string): Promise<T> {
  const response = await fetch(`${url}/v1${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

function serviceEnv(env: Record<string, string>, url = service.url): Record<string, string> {
  return { ...env, FLOWKIT_SERVICE_URL: url, FLOWKIT_DEFAULT_METADATA: 'service' };
}

const FOREACH_FLOW = `
import { FlowSpec, step, Inputs } from '@flowkit/core';
export default class ServiceForeachFlow extends FlowSpec {
  declare items: number[]; declare square: number; declare total: number;
  @step start() { this.items = [1, 2, 3]; this.next(this.body, { foreach: 'items' }); }
  @step body() { this.square = (this.input as number) ** 2; this.next(this.join); }
  @step join(inputs: Inputs<ServiceForeachFlow>) {
    if (process.env.FAIL_JOIN) throw new Error('join refused');
    this.total = inputs.reduce((sum, i) => sum + i.square, 0);
    this.next(this.end);
  }
  @step end() { console.log('total', this.total); }
}`;

describe('--metadata service: the commands work unchanged', () => {
  test('run, resume, dump, tag, list and the client; ids and records come from the service, artifacts are indexed there', async () => {
    const { dir, root, env } = project({ 'flow.ts': FOREACH_FLOW });
    const failed = await flowkit(['run', 'flow.ts'], { cwd: dir, env: { ...serviceEnv(env), FAIL_JOIN: '1' } });
    expect(failed.code).toBe(1);
    const resumed = await flowkit(['resume', 'flow.ts'], { cwd: dir, env: serviceEnv(env) });
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('total 14');
    expect(resumed.stdout).toContain('Resuming run 1');
    // Tasks carry the provider, not the service's server and PostgreSQL driver.
    const bundles = readdirSync(join(root, '_code')).filter((name) => name.endsWith('.cjs'));
    expect(bundles.length).toBeGreaterThan(0);
    for (const bundle of bundles) expect(readFileSync(join(root, '_code', bundle), 'utf8')).not.toMatch(/pg-protocol|CREATE TABLE runs/);

    const runs = await get('/flows/ServiceForeachFlow/runs');
    expect(runs.items.map((r: { runId: string; status: string; originRunId?: string }) => [r.runId, r.status, r.originRunId])).toEqual([
      ['2', 'succeeded', '1'],
      ['1', 'failed', undefined],
    ]);
    const bodies = await get('/flows/ServiceForeachFlow/runs/2/steps/body/tasks');
    expect(bodies.items).toHaveLength(3);
    expect(bodies.items.every((t: { clonedFrom?: string; status: string }) => t.clonedFrom?.startsWith('1/body/') && t.status === 'succeeded')).toBe(true);
    const join1 = (await get('/flows/ServiceForeachFlow/runs/1/steps/join/tasks')).items[0];
    expect(join1).toMatchObject({ status: 'failed' });
    expect(join1.attempts[0].error).toBe('Error: join refused');
    // No local records: the service holds them; the datastore holds only data.
    expect(existsSync(join(root, 'ServiceForeachFlow', '1', '_meta'))).toBe(false);

    const end = (await get('/flows/ServiceForeachFlow/runs/2/steps/end/tasks')).items[0];
    const indexed = await get(`/flows/ServiceForeachFlow/runs/2/steps/end/tasks/${end.taskId}/artifacts`);
    const stored = new StoredRun(root, 'ServiceForeachFlow', '2').data('end', end.taskId);
    expect(Object.fromEntries(indexed.items.map((a: { name: string; sha: string }) => [a.name, a.sha]))).toEqual(Object.fromEntries(Object.entries(stored.artifacts).map(([n, a]) => [n, a.sha])));
    const metadata = await get(`/flows/ServiceForeachFlow/runs/2/steps/end/tasks/${end.taskId}/metadata`);
    expect(metadata.items.map((m: { field: string }) => m.field)).toEqual(['host', 'pid']);

    const dump = await flowkit(['dump', 'flow.ts', '2/end'], { cwd: dir, env: serviceEnv(env) });
    expect(dump.code).toBe(0);
    expect(dump.stdout).toMatch(/total\s+number\s+\S+ B\s+14/);
    const tagged = await flowkit(['tag', 'add', 'flow.ts', '--run-id', '2', 'reviewed', 'ship it'], { cwd: dir, env: serviceEnv(env) });
    expect(tagged.stdout).toContain('ServiceForeachFlow/2 tags: "reviewed", "ship it"');
    const listed = await flowkit(['list', 'runs', 'flow.ts'], { cwd: dir, env: serviceEnv(env) });
    expect(listed.stdout).toMatch(/^2\s+tester\s+\S+\s+succeeded\s+reviewed, ship it$/m);

    configureClient({ flowDir: dir, datastoreRoot: root, metadata: 'service' });
    namespace('user:tester');
    const flow = new Flow('ServiceForeachFlow');
    expect((await flow.latestSuccessfulRun()).id).toBe('2');
    expect((await flow.runs({ tags: ['ship it'] })).map((r) => r.id)).toEqual(['2']);
    const run = new Run('ServiceForeachFlow/2');
    expect(await run.data.total).toBe(14);
    const tasks = await run.step('body').tasks();
    expect(await Promise.all(tasks.map((t) => t.data.square))).toEqual([1, 4, 9]);
    expect((await tasks[0]!.attempts).map((a) => a.status)).toEqual(['succeeded']);
    // Names of objects the service does not hold are errors naming them, in the client and in the CLI.
    await expect(run.step('nostep').tasks()).rejects.toThrow("Step ServiceForeachFlow/2/nostep does not exist: run 2 has no task of step 'nostep'.");
    await expect(tasks[0]!.log('stdout', 5)).rejects.toThrow(`Task ${tasks[0]!.pathspec} has no attempt 5.`);
    const missing = await flowkit(['logs', 'flow.ts', '2/body/999'], { cwd: dir, env: serviceEnv(env) });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Task ServiceForeachFlow/2/body/999 does not exist.');
    namespace('user:somebody-else');
    expect(await flow.runs()).toEqual([]);
  });

  test('the seed bug: after a retry the service reports the task as the local provider does', async () => {
    const flaky = `
import { FlowSpec, step, retry, current } from '@flowkit/core';
export default class ServiceRetryFlow extends FlowSpec {
  @step start() { this.next(this.flaky); }
  @retry({ times: 2 }) @step flaky() {
    if (current.retryCount === 0) throw new Error('first attempt fails');
    this.next(this.end);
  }
  @step end() {}
}`;
    const local = project({ 'flaky.ts': flaky });
    expect((await flowkit(['run', 'flaky.ts'], { cwd: local.dir, env: local.env })).code).toBe(0);
    const remote = project({ 'flaky.ts': flaky });
    expect((await flowkit(['run', 'flaky.ts'], { cwd: remote.dir, env: serviceEnv(remote.env) })).code).toBe(0);

    const localRun = new StoredRun(local.root, 'ServiceRetryFlow', '1');
    const localAttempts = localRun.attempts('flaky', localRun.tasks('flaky')[0]!).map((a) => [a.attempt, a.status, a.error]);
    const task = (await get('/flows/ServiceRetryFlow/runs/1/steps/flaky/tasks')).items[0];
    expect(task.attempts.map((a: { attempt: number; status: string; error?: string }) => [a.attempt, a.status, a.error])).toEqual(localAttempts);
    expect(localAttempts).toEqual([[0, 'failed', 'Error: first attempt fails'], [1, 'succeeded', undefined]]);
    expect(task).toMatchObject({ status: 'succeeded', currentAttempt: 1 });
    expect(task.startedAt).toBe(task.attempts[1].startedAt);
    expect(task.finishedAt).toBe(task.attempts[1].finishedAt);
  });
});

describe('--metadata service: load and faults', () => {
  test('20 runs writing at once: 20 distinct ids, every task recorded once', async () => {
    const { dir, env } = project({
      'tiny.ts': `
import { FlowSpec, step } from '@flowkit/core';
export default class ServiceConcurrentFlow extends FlowSpec {
  declare value: number;
  @step start() { this.value = 1; this.next(this.end); }
  @step end() {}
}`,
    });
    // The first run builds the graph and bundle caches the others then share.
    expect((await flowkit(['check', 'tiny.ts'], { cwd: dir, env })).code).toBe(0);
    const results = await Promise.all(Array.from({ length: 20 }, () => flowkit(['run', 'tiny.ts', '--max-workers', '1', '--quiet'], { cwd: dir, env: serviceEnv(env) })));
    expect(results.map((r) => r.code)).toEqual(Array(20).fill(0));
    const runs = await get('/flows/ServiceConcurrentFlow/runs?limit=100');
    expect(runs.items.map((r: { runId: string }) => Number(r.runId)).sort((a: number, b: number) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(runs.items.every((r: { status: string }) => r.status === 'succeeded')).toBe(true);
    for (const run of runs.items) {
      for (const step of ['start', 'end']) {
        const tasks = (await get(`/flows/ServiceConcurrentFlow/runs/${run.runId}/steps/${step}/tasks`)).items;
        expect(tasks.map((t: { status: string; attempts: unknown[] }) => [t.status, t.attempts.length])).toEqual([['succeeded', 1]]);
      }
    }
  }, 240000);

  test('the service restarted mid-run: the run continues after retries and records each task once', async () => {
    const databaseUrl = await postgres.createDatabase(`restart_${++databases}`);
    const port = await freePort();
    let restartable = await startService({ databaseUrl, port });
    const { dir, env } = project({
      'slow.ts': `
import { FlowSpec, step, Inputs } from '@flowkit/core';
export default class ServiceRestartFlow extends FlowSpec {
  declare items: number[]; declare doubled: number;
  @step start() { this.items = [1, 2, 3, 4, 5, 6]; this.next(this.body, { foreach: 'items' }); }
  @step async body() { await new Promise((r) => setTimeout(r, 600)); this.doubled = (this.input as number) * 2; this.next(this.join); }
  @step join(inputs: Inputs<ServiceRestartFlow>) { console.log('sum', inputs.reduce((s, i) => s + i.doubled, 0)); this.next(this.end); }
  @step end() {}
}`,
    });
    const running = startUntil(['run', 'slow.ts', '--max-workers', '2'], { cwd: dir, env: serviceEnv(env, restartable.url) }, /\/body\/\d+ \(pid \d+\)\] Task is starting/);
    await running.reached;
    expect(await restartable.stop()).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    restartable = await startService({ databaseUrl, port });
    const restartedAt = Date.now();
    try {
      expect(await running.exited).toBe(0);
      expect(running.output()).toContain('sum 42');
      const url = restartable.url;
      expect((await get('/flows/ServiceRestartFlow/runs/1', url)).status).toBe('succeeded');
      const bodies = (await get('/flows/ServiceRestartFlow/runs/1/steps/body/tasks', url)).items;
      expect(bodies.map((t: { foreachIndices: number[]; status: string }) => [t.foreachIndices[0], t.status])).toEqual([0, 1, 2, 3, 4, 5].map((i) => [i, 'succeeded']));
      expect((await get('/flows/ServiceRestartFlow/runs?limit=10', url)).items).toHaveLength(1);
      // The outage fell inside the run: its last task was created after the restart.
      expect((await get('/flows/ServiceRestartFlow/runs/1/steps/end/tasks', url)).items[0].createdAt).toBeGreaterThan(restartedAt);
    } finally {
      await restartable.stop();
    }
  }, 120000);

  test('a service that is down at start: a clear error before anything is recorded', async () => {
    const { dir, root, env } = project({ 'flow.ts': FOREACH_FLOW });
    const started = Date.now();
    const down = await flowkit(['run', 'flow.ts'], { cwd: dir, env: serviceEnv(env, `http://127.0.0.1:${await freePort()}`) });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^Metadata service http:\/\/127\.0\.0\.1:\d+ did not answer GET \/v1\/flows: ECONNREFUSED \(3 tries over [\d.]+ s\)\.\n  hint: start it/m);
    expect(Date.now() - started).toBeLessThan(10000);
    expect(existsSync(join(root, 'ServiceForeachFlow'))).toBe(false);
    const unset = await flowkit(['run', 'flow.ts', '--metadata', 'service'], { cwd: dir, env: { ...env, FLOWKIT_SERVICE_URL: '' } });
    expect(unset.code).toBe(1);
    expect(unset.stderr).toContain('The service metadata provider needs FLOWKIT_SERVICE_URL.');
  });

  test('a scheduler killed mid-run: after the heartbeat timeout its run and running task are failed', async () => {
    const short = await startService({ databaseUrl: await postgres.createDatabase(`heartbeat_${++databases}`), heartbeatTimeout: 2 });
    const { dir, env } = project({
      'stuck.ts': `
import { FlowSpec, step } from '@flowkit/core';
export default class ServiceKilledFlow extends FlowSpec {
  @step start() { this.next(this.wait); }
  @step async wait() { await new Promise((r) => setTimeout(r, 20000)); this.next(this.end); }
  @step end() {}
}`,
    });
    const running = startUntil(['run', 'stuck.ts'], { cwd: dir, env: { ...serviceEnv(env, short.url), FLOWKIT_HEARTBEAT_SECONDS: '0.5' } }, /\/wait\/\d+ \(pid (\d+)\)\] Task is starting/);
    let taskPid: number | undefined;
    try {
      await running.reached;
      taskPid = Number(/\/wait\/\d+ \(pid (\d+)\)\]/.exec(running.output())?.[1]);
      // Alive and beating: still running well past the timeout.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect((await get('/flows/ServiceKilledFlow/runs/1', short.url)).status).toBe('running');
      running.child.kill('SIGKILL');
      await running.exited;
      const deadline = Date.now() + 10000;
      let run = await get('/flows/ServiceKilledFlow/runs/1', short.url);
      while (run.status === 'running' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        run = await get('/flows/ServiceKilledFlow/runs/1', short.url);
      }
      expect(run.status).toBe('failed');
      const wait = (await get('/flows/ServiceKilledFlow/runs/1/steps/wait/tasks', short.url)).items[0];
      expect(wait.status).toBe('failed');
      expect(wait.attempts[0].error).toContain('no heartbeat from its scheduler');
      // Every command shows the state the service recorded, though no task raised an exception.
      const listed = await flowkit(['list', 'runs', 'ServiceKilledFlow'], { cwd: dir, env: serviceEnv(env, short.url) });
      expect(listed.stdout).toMatch(/^1 .*failed/m);
      expect((await flowkit(['status', 'ServiceKilledFlow'], { cwd: dir, env: serviceEnv(env, short.url) })).stdout).toMatch(/ServiceKilledFlow\s+1 .*failed/);
    } finally {
      if (taskPid) process.kill(taskPid, 'SIGKILL');
      await short.stop();
    }
  }, 60000);

  test('auth: without the token a run fails clearly; with it, it runs; the token is in no output or stored file', async () => {
    const token = 'flowkit-test-token-91c2e7';
    const guarded = await startService({ databaseUrl: await postgres.createDatabase(`auth_${++databases}`), authToken: token });
    try {
      const { dir, root, env } = project({ 'flow.ts': FOREACH_FLOW });
      const refused = await flowkit(['run', 'flow.ts'], { cwd: dir, env: serviceEnv(env, guarded.url) });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('refused GET /v1/flows: This metadata service requires a bearer token.');
      expect(refused.stderr).toContain('hint: set FLOWKIT_SERVICE_AUTH_KEY');
      const allowed = await flowkit(['run', 'flow.ts'], { cwd: dir, env: { ...serviceEnv(env, guarded.url), FLOWKIT_SERVICE_AUTH_KEY: token } });
      expect(allowed.code).toBe(0);
      const dumped = await flowkit(['dump', 'flow.ts', '1/end'], { cwd: dir, env: { ...serviceEnv(env, guarded.url), FLOWKIT_SERVICE_AUTH_KEY: token } });
      expect(dumped.stdout).toContain('total');
      for (const text of [refused.stdout, refused.stderr, allowed.stdout, allowed.stderr, guarded.output()]) expect(text).not.toContain(token);
      const files = listFiles(root);
      expect(files.some((f) => f.startsWith('_code/'))).toBe(true);
      for (const file of files) expect(readFileSync(join(root, file)).includes(token)).toBe(false);
      expect(readdirSync(dir).filter((f) => f !== '.flowkit' && f !== 'flow.ts')).toEqual([]);
    } finally {
      await guarded.stop();
    }
  });
});
