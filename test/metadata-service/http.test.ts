import { Client } from 'pg';
import { startPostgres, type TestPostgres } from '../helpers/postgres';
import { startService, type TestService } from '../helpers/service';

/** The REST API of `flowkit metadata-service start`, spoken to over HTTP like any client would. */
let postgres: TestPostgres;
let databaseUrl: string;
let service: TestService;

interface Answer {
  status: number;
  body: any;
}

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${service.url}/v1${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

const newRun = (flow: string, extra: Record<string, unknown> = {}) => api('POST', `/flows/${flow}/runs`, { user: 'alice', tags: [], systemTags: ['user:alice'], ...extra });
const newTask = (flow: string, run: string, step: string, extra: Record<string, unknown> = {}) => api('POST', `/flows/${flow}/runs/${run}/steps/${step}/tasks`, extra);

beforeAll(async () => {
  postgres = await startPostgres();
  databaseUrl = await postgres.createDatabase('http_api');
  service = await startService({ databaseUrl });
}, 120000);

afterAll(async () => {
  await service?.stop();
  await postgres?.stop();
});

describe('metadata service: schema and lifecycle', () => {
  test('health answers; migrations ran once and a second start applies none', async () => {
    const health = await api('GET', '/health');
    expect(health).toEqual({ status: 200, body: { status: 'ok', schemaVersion: 3, heartbeatTimeoutSeconds: 60 } });
    expect(service.output()).toContain('schema migrated to version 3 (applied 1, 2, 3)');
    const second = await startService({ databaseUrl });
    try {
      expect(second.output()).toContain('schema at version 3');
      expect(second.output()).not.toContain('applied');
    } finally {
      expect(await second.stop()).toBe(0);
    }
    expect(second.output()).toContain('stopped');
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    const { rows } = await client.query('SELECT version FROM schema_migrations ORDER BY version');
    await client.end();
    expect(rows).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }]);
  });

  test('the database URL is required and its password never printed', async () => {
    const bad = startService({ databaseUrl: 'postgres://flowkit:s3cret-pw@127.0.0.1:1/nowhere' });
    await expect(bad).rejects.toThrow(/Cannot use the database postgres:\/\/flowkit@127\.0\.0\.1:1\/nowhere/);
    await expect(bad).rejects.not.toThrow(/s3cret-pw/);
  });
});

describe('metadata service: runs', () => {
  test('run ids are allocated per flow; a retried create with the same request id records one run', async () => {
    const first = await newRun('Numbered');
    const second = await newRun('Numbered', { requestId: 'retry-0001' });
    const again = await newRun('Numbered', { requestId: 'retry-0001' });
    expect(first.status).toBe(201);
    expect([first.body.runId, second.body.runId, again.body.runId]).toEqual(['1', '2', '2']);
    const runs = await api('GET', '/flows/Numbered/runs');
    expect(runs.body.items.map((r: { runId: string }) => r.runId)).toEqual(['2', '1']);
    expect(runs.body.next).toBeNull();
  });

  test('an orchestrator gives the run id: recording it again returns the first run; a bad id is refused', async () => {
    const first = await newRun('Orchestrated', { runId: 'sfn-0a1b', tags: ['first'] });
    const again = await newRun('Orchestrated', { runId: 'sfn-0a1b', tags: ['second'] });
    const numbered = await newRun('Orchestrated');
    expect(first.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(first.body.tags).toEqual(['first']);
    expect(numbered.body.runId).toMatch(/^\d+$/);
    const runs = await api('GET', '/flows/Orchestrated/runs');
    expect(runs.body.items.map((r: { runId: string }) => r.runId).sort()).toEqual([numbered.body.runId, 'sfn-0a1b'].sort());
    const bad = await newRun('Orchestrated', { runId: '../x' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/run id/);
  });

  test('lists filter by tags (user or system), status and time in the database, and page without gaps or repeats', async () => {
    const before = Date.now();
    for (let i = 0; i < 25; i++) await newRun('Paged', { tags: i % 2 ? ['odd'] : [], systemTags: [`user:${i < 5 ? 'bob' : 'alice'}`] });
    await api('POST', '/flows/Paged/runs/3/finish', { status: 'succeeded' });
    await api('POST', '/flows/Paged/runs/4/finish', { status: 'failed' });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Answer = await api('GET', `/flows/Paged/runs?limit=10${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(10);
      seen.push(...page.body.items.map((r: { runId: string }) => r.runId));
      cursor = page.body.next;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => String(25 - i)));
    const odd = await api('GET', '/flows/Paged/runs?tag=odd&tag=user:bob&limit=1000');
    expect(odd.body.items.map((r: { runId: string }) => r.runId)).toEqual(['4', '2']);
    expect((await api('GET', '/flows/Paged/runs?status=succeeded')).body.items.map((r: { runId: string }) => r.runId)).toEqual(['3']);
    expect((await api('GET', '/flows/Paged/runs?status=failed')).body.items[0]).toMatchObject({ runId: '4', status: 'failed' });
    expect((await api('GET', `/flows/Paged/runs?since=${Date.now() + 60000}`)).body.items).toEqual([]);
    expect((await api('GET', `/flows/Paged/runs?since=${before}&limit=1000`)).body.items).toHaveLength(25);
    expect((await api('GET', '/flows?limit=1000')).body.items.map((f: { flowName: string }) => f.flowName)).toEqual(expect.arrayContaining(['Numbered', 'Paged']));
  });

  test('tags: add and remove atomically, concurrent updates all kept, system tags cannot be removed', async () => {
    const run = (await newRun('Tagged', { tags: ['keep', 'drop'] })).body.runId;
    const changed = await api('POST', `/flows/Tagged/runs/${run}/tags`, { add: ['new'], remove: ['drop'] });
    expect(changed.body.tags).toEqual(['keep', 'new']);
    await Promise.all(Array.from({ length: 20 }, (_, i) => api('POST', `/flows/Tagged/runs/${run}/tags`, { add: [`c${i}`] })));
    const tags = (await api('GET', `/flows/Tagged/runs/${run}`)).body.tags;
    expect(tags).toHaveLength(22);
    const refused = await api('POST', `/flows/Tagged/runs/${run}/tags`, { remove: ['user:alice'] });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain('user:alice is a system tag');
    expect((await api('POST', '/flows/Tagged/runs/999/tags', { add: ['x'] })).status).toBe(404);
  });
});

describe('metadata service: tasks and attempts', () => {
  test('a retry moves the task to its newest attempt: status, times and attempt number', async () => {
    const run = (await newRun('Retried')).body.runId;
    const task = (await newTask('Retried', run, 'train')).body;
    const base = `/flows/Retried/runs/${run}/steps/train/tasks/${task.taskId}`;
    await api('POST', `${base}/attempts/0/start`);
    await api('POST', `${base}/attempts/0/finish`, { status: 'failed', error: 'Error: boom' });
    expect((await api('GET', base)).body).toMatchObject({ status: 'failed', currentAttempt: 0 });
    await api('POST', `${base}/attempts/1/start`);
    expect((await api('GET', base)).body).toMatchObject({ status: 'running', currentAttempt: 1 });
    expect((await api('GET', base)).body.finishedAt).toBeUndefined();
    await api('POST', `${base}/attempts/1/finish`, { status: 'succeeded' });
    // A late report about the older attempt does not roll the task back.
    await api('POST', `${base}/attempts/0/finish`, { status: 'failed', error: 'Error: boom' });
    const after = (await api('GET', base)).body;
    expect(after).toMatchObject({ status: 'succeeded', currentAttempt: 1 });
    expect(after.finishedAt).toBeGreaterThanOrEqual(after.startedAt);
    expect(after.attempts.map((a: { attempt: number; status: string }) => [a.attempt, a.status])).toEqual([[0, 'failed'], [1, 'succeeded']]);
    expect(after.attempts[0].error).toBe('Error: boom');
  });

  test('an attempt FlowKit recorded for a task that died keeps how it died, until the attempt starts again', async () => {
    const run = (await newRun('Died')).body.runId;
    const task = (await newTask('Died', run, 'train')).body;
    const base = `/flows/Died/runs/${run}/steps/train/tasks/${task.taskId}`;
    await api('POST', `${base}/attempts/0/start`);
    await api('POST', `${base}/attempts/0/finish`, { status: 'failed', error: 'Task was killed by SIGTERM', died: 'was killed by SIGTERM' });
    expect((await api('GET', `${base}/attempts`)).body.items).toMatchObject([{ attempt: 0, status: 'failed', error: 'Task was killed by SIGTERM', died: 'was killed by SIGTERM' }]);
    await api('POST', `${base}/attempts/0/start`);
    expect((await api('GET', `${base}/attempts`)).body.items[0].died).toBeUndefined();
  });

  test('task lists embed attempts, filter by status and page in task order', async () => {
    const run = (await newRun('Wide')).body.runId;
    expect((await newTask('Wide', run, '_parameters', { taskId: '0' })).body.taskId).toBe('0');
    expect((await newTask('Wide', run, '_parameters', { taskId: '0' })).status).toBe(201);
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push((await newTask('Wide', run, 'body', { foreachIndices: [i], requestId: `wide-task-${i}` })).body.taskId);
    expect(new Set(ids).size).toBe(12);
    expect((await newTask('Wide', run, 'body', { foreachIndices: [0], requestId: 'wide-task-0' })).body.taskId).toBe(ids[0]);
    for (const [i, id] of ids.entries()) {
      await api('POST', `/flows/Wide/runs/${run}/steps/body/tasks/${id}/attempts/0/start`);
      if (i % 3 === 0) await api('POST', `/flows/Wide/runs/${run}/steps/body/tasks/${id}/attempts/0/finish`, { status: 'failed', error: 'x' });
    }
    const first = await api('GET', `/flows/Wide/runs/${run}/steps/body/tasks?limit=5`);
    const second = await api('GET', `/flows/Wide/runs/${run}/steps/body/tasks?limit=5&cursor=${first.body.next}`);
    const third = await api('GET', `/flows/Wide/runs/${run}/steps/body/tasks?limit=5&cursor=${second.body.next}`);
    expect(third.body.next).toBeNull();
    const listed = [...first.body.items, ...second.body.items, ...third.body.items];
    expect(listed.map((t: { taskId: string }) => t.taskId)).toEqual(ids);
    expect(listed.map((t: { foreachIndices: number[] }) => t.foreachIndices[0])).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(listed[1].attempts).toEqual([expect.objectContaining({ attempt: 0, status: 'running' })]);
    const failed = await api('GET', `/flows/Wide/runs/${run}/steps/body/tasks?status=failed`);
    expect(failed.body.items.map((t: { taskId: string }) => t.taskId)).toEqual([ids[0], ids[3], ids[6], ids[9]]);
    const join = await newTask('Wide', run, 'join', { inputPaths: ids.map((id) => `body/${id}`) });
    expect((await api('GET', `/flows/Wide/runs/${run}/steps/join/tasks/${join.body.taskId}`)).body.inputPaths).toEqual(ids.map((id) => `body/${id}`));
    const badInput = await newTask('Wide', run, 'join', { inputPaths: ['body/../1'] });
    expect(badInput.status).toBe(400);
    expect(badInput.body.error.message).toContain("'inputPaths[]' must be STEP/TASK");
    const steps = await api('GET', `/flows/Wide/runs/${run}/steps`);
    expect(steps.body.items.map((s: { stepName: string }) => s.stepName)).toEqual(['_parameters', 'body', 'join']);
  });

  test('artifacts and metadata entries are recorded per attempt and listed', async () => {
    const run = (await newRun('Indexed')).body.runId;
    const task = (await newTask('Indexed', run, 'start')).body.taskId;
    const base = `/flows/Indexed/runs/${run}/steps/start/tasks/${task}`;
    const sha = 'a'.repeat(64);
    const artifact = { sha, type: 'number', size: 8, serializer: 'v8' };
    expect((await api('PUT', `${base}/attempts/0/artifacts`, { artifacts: { x: artifact, y: { ...artifact, sha: 'b'.repeat(64) } } })).status).toBe(200);
    expect((await api('PUT', `${base}/attempts/1/artifacts`, { artifacts: { x: artifact } })).status).toBe(200);
    expect((await api('GET', `${base}/attempts/0/artifacts`)).body.items.map((a: { name: string }) => a.name)).toEqual(['x', 'y']);
    expect((await api('GET', `${base}/artifacts`)).body.items).toEqual([{ name: 'x', attempt: 1, ...artifact }]);
    await api('PUT', `${base}/attempts/0/metadata`, { entries: { host: 'box-1', pid: '42' } });
    expect((await api('GET', `${base}/metadata`)).body.items.map((m: { field: string; value: string }) => `${m.field}=${m.value}`)).toEqual(['host=box-1', 'pid=42']);
    const missing = await api('PUT', `/flows/Indexed/runs/${run}/steps/start/tasks/999999/attempts/0/artifacts`, { artifacts: { x: artifact } });
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toContain(`Task Indexed/${run}/start/999999 does not exist`);
  });
});

describe('metadata service: input validation', () => {
  test.each([
    ['a SQL injection as a flow name', "/flows/x';DROP TABLE runs;--/runs", 'Invalid flow id'],
    ['a percent-encoded slash in a run id', '/flows/F/runs/..%2F..%2Fetc', 'Invalid run id'],
    ['a NUL in a step name', '/flows/F/runs/1/steps/a%00b/tasks', 'Invalid step id'],
    ['an attempt out of range', '/flows/F/runs/1/steps/s/tasks/1/attempts/99/artifacts', 'Invalid attempt'],
    ['a limit too large', '/flows/F/runs?limit=100000', "'limit' must be a whole number from 1 to 1000"],
    ['a forged cursor', '/flows/F/runs?cursor=eyJub3QiOiJhbiBhcnJheSJ9', 'Invalid cursor'],
    ['a cursor with injected SQL', `/flows/F/runs?cursor=${Buffer.from(JSON.stringify(["1); DROP TABLE runs; --", 1])).toString('base64url')}`, 'Invalid cursor'],
    ['an unknown status', '/flows/F/runs?status=done', "'status' must be one of running, succeeded, failed"],
  ])('refuses %s with a 400 that says what is wrong', async (_what, path, message) => {
    const answer = await api('GET', path);
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('bad_request');
    expect(answer.body.error.message).toContain(message);
  });

  test.each([
    ['unknown fields', { user: 'a', admin: true }, "Unknown field 'admin'"],
    ['a user of the wrong type', { user: 7 }, "'user' must be 1 to 256 characters"],
    ['an overlong tag', { user: 'a', tags: ['t'.repeat(513)] }, 'is not valid'],
    ['a tag with terminal control characters', { user: 'a', tags: ['\u001b]0;title\u0007'] }, "Tag '\\x1b]0;title\\x07' is not valid."],
    ['too many tags', { user: 'a', tags: Array.from({ length: 101 }, (_, i) => `t${i}`) }, 'at most 100'],
    ['a bad origin run', { user: 'a', originRunId: '../1' }, 'Invalid run id'],
    ['a short request id', { user: 'a', requestId: 'x' }, "'requestId' must be 8 to 64"],
  ])('refuses a run with %s', async (_what, body, message) => {
    const answer = await api('POST', '/flows/Refused/runs', body);
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toContain(message);
  });

  test('malformed JSON, oversized bodies, unknown routes and wrong methods get clear 4xx answers', async () => {
    expect((await api('POST', '/flows/F/runs', '{"user":')).body.error.message).toBe('The request body is not valid JSON.');
    const huge = await api('POST', '/flows/F/runs', { user: 'a', tags: ['x'.repeat(5 * 1024 * 1024)] });
    expect(huge.status).toBe(413);
    expect(huge.body.error.message).toContain('at most 4194304');
    expect((await api('GET', '/nothing/here')).status).toBe(404);
    const wrong = await api('DELETE', '/flows/F/runs');
    expect(wrong.status).toBe(405);
    expect(wrong.body.error.hint).toBe('use POST or GET');
    expect((await api('POST', '/flows/F/runs/1/steps/s/tasks/1/attempts/0/finish', { status: 'failed', error: 'e'.repeat(5000) })).body.error.message).toContain("'error' must be text of at most 4096");
  });

  test('SQL in a tag is stored and matched as plain text', async () => {
    const evil = "x' OR '1'='1'; DROP TABLE runs; --";
    const run = (await newRun('Injected', { tags: [evil] })).body.runId;
    await newRun('Injected', { tags: ['plain'] });
    const found = await api('GET', `/flows/Injected/runs?tag=${encodeURIComponent(evil)}`);
    expect(found.body.items.map((r: { runId: string; tags: string[] }) => [r.runId, r.tags])).toEqual([[run, [evil]]]);
    expect((await api('GET', `/flows/Injected/runs?tag=${encodeURIComponent("' OR 1=1 --")}`)).body.items).toEqual([]);
    expect((await api('GET', '/flows/Injected/runs')).body.items).toHaveLength(2);
  });
});

describe('metadata service: heartbeats and auth', () => {
  test('a run whose scheduler stops sending heartbeats is marked failed with its running task; a live one is not', async () => {
    const short = await startService({ databaseUrl: await postgres.createDatabase('heartbeats'), heartbeatTimeout: 1.5 });
    const call = (method: string, path: string, body?: unknown) => fetch(`${short.url}/v1${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) }).then((r) => r.json());
    try {
      const dead = (await call('POST', '/flows/Beat/runs', { user: 'a' })).runId;
      const alive = (await call('POST', '/flows/Beat/runs', { user: 'a' })).runId;
      // An orchestrator's run (its id given) has no scheduler to send heartbeats: only its silent task is failed.
      const engine = (await call('POST', '/flows/Beat/runs', { user: 'a', runId: 'sfn-engine' })).runId;
      const engineTask = (await call('POST', `/flows/Beat/runs/${engine}/steps/start/tasks`, {})).taskId;
      await call('POST', `/flows/Beat/runs/${engine}/steps/start/tasks/${engineTask}/attempts/0/start`);
      const deadTask = (await call('POST', `/flows/Beat/runs/${dead}/steps/start/tasks`, {})).taskId;
      const aliveTask = (await call('POST', `/flows/Beat/runs/${alive}/steps/start/tasks`, {})).taskId;
      await call('POST', `/flows/Beat/runs/${dead}/steps/start/tasks/${deadTask}/attempts/0/start`);
      await call('POST', `/flows/Beat/runs/${alive}/steps/start/tasks/${aliveTask}/attempts/0/start`);
      for (let i = 0; i < 8; i++) {
        await call('POST', `/flows/Beat/runs/${alive}/heartbeat`, { tasks: [{ stepName: 'start', taskId: aliveTask }] });
        await new Promise((resolve) => setTimeout(resolve, 400));
      }
      expect(await call('GET', `/flows/Beat/runs/${dead}`)).toMatchObject({ status: 'failed' });
      const lost = await call('GET', `/flows/Beat/runs/${dead}/steps/start/tasks/${deadTask}`);
      expect(lost).toMatchObject({ status: 'failed', currentAttempt: 0 });
      expect(lost.attempts[0].error).toContain('no heartbeat');
      expect(await call('GET', `/flows/Beat/runs/${alive}`)).toMatchObject({ status: 'running' });
      expect(await call('GET', `/flows/Beat/runs/${alive}/steps/start/tasks/${aliveTask}`)).toMatchObject({ status: 'running' });
      expect(await call('GET', `/flows/Beat/runs/${engine}`)).toMatchObject({ status: 'running' });
      expect(await call('GET', `/flows/Beat/runs/${engine}/steps/start/tasks/${engineTask}`)).toMatchObject({ status: 'failed' });
      expect(short.output()).toContain('marked 1 run(s)');
    } finally {
      await short.stop();
    }
  });

  test('with a token every route but health requires it; beyond loopback a token is required to start', async () => {
    const token = 'test-token-7f3a9c';
    const guarded = await startService({ databaseUrl, authToken: token });
    const get = (headers: Record<string, string>) => fetch(`${guarded.url}/v1/flows`, { headers });
    try {
      const missing = await get({});
      expect(missing.status).toBe(401);
      expect(((await missing.json()) as { error: { message: string } }).error.message).toBe('This metadata service requires a bearer token.');
      expect((await get({ authorization: 'Bearer wrong' })).status).toBe(401);
      expect((await get({ authorization: `Bearer ${token}` })).status).toBe(200);
      expect((await fetch(`${guarded.url}/v1/health`)).status).toBe(200);
      expect(guarded.output()).toContain('bearer token required');
      expect(guarded.output()).not.toContain(token);
    } finally {
      await guarded.stop();
    }
    await expect(startService({ databaseUrl, host: '0.0.0.0' })).rejects.toThrow(/would listen on 0\.0\.0\.0 without authentication[\s\S]*--auth-token or FLOWKIT_SERVICE_AUTH_KEY/);
  });
});
