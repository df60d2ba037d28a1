import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { flowkit, project, startUntil } from '../helpers/flowkit';
import { GATE_FLOW, get, startUi, until, type TestUi } from '../helpers/ui';

/** The real `flowkit ui` process on port 0, reading runs the real `flowkit run` made. */
const FLOWS = {
  'report.ts': `
import { FlowSpec, step, Inputs } from '@flowkit/core';
export default class ReportFlow extends FlowSpec {
  declare items: number[]; declare square: number; declare total: number; declare html: string; declare big: string;
  declare rows: Array<Record<string, unknown>>; declare floats: Float64Array;
  @step start() {
    this.items = [1, 2, 3];
    this.rows = [{ a: 1, b: 'x' }, { a: 2, c: [1] }];
    this.floats = new Float64Array([1.5, -2]);
    this.html = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">';
    this.big = 'x'.repeat(2 * 1024 * 1024);
    this.next(this.body, { foreach: 'items' });
  }
  @step body() { this.square = (this.input as number) ** 2; console.log('square é', this.square); this.next(this.join); }
  @step join(inputs: Inputs<ReportFlow>) { this.total = inputs.reduce((sum, i) => sum + i.square, 0); this.next(this.end); }
  @step end() { console.log('total', this.total); }
}`,
  'broken.ts': `
import { FlowSpec, step } from '@flowkit/core';
export default class BrokenFlow extends FlowSpec {
  @step start() { this.next(this.fail); }
  @step fail() { throw new RangeError('bad <b>value</b>'); this.next(this.end); }
  @step end() {}
}`,
  'gate.ts': GATE_FLOW,
};

let dir: string;
let env: Record<string, string>;
let ui: TestUi;

beforeAll(async () => {
  ({ dir, env } = project(FLOWS));
  expect((await flowkit(['run', 'report.ts', '--tag', 'nightly'], { cwd: dir, env })).code).toBe(0);
  expect((await flowkit(['run', 'report.ts'], { cwd: dir, env })).code).toBe(0);
  expect((await flowkit(['run', 'broken.ts'], { cwd: dir, env })).code).toBe(1);
  ui = await startUi({ cwd: dir, env });
}, 120000);

afterAll(async () => {
  await ui?.stop();
});

/** `flowkit dump`'s tasks and each one's artifacts with their types. */
function parseDump(stdout: string): Record<string, Array<[string, string]>> {
  const tasks: Record<string, Array<[string, string]>> = {};
  let current: Array<[string, string]> = [];
  for (const line of stdout.split('\n')) {
    const header = /^Task (\S+) \(attempt \d+\)$/.exec(line);
    if (header) tasks[header[1] as string] = current = [];
    else if (line.startsWith('  ')) current.push(line.trim().split(/\s{2,}/).slice(0, 2) as [string, string]);
  }
  return tasks;
}

describe('flowkit ui: the JSON API', () => {
  test('flows, runs, steps, tasks and artifacts are what flowkit dump shows', async () => {
    const flows = await get(ui.url, '/api/flows');
    expect(flows.status).toBe(200);
    expect(flows.body.flows.map((f: { name: string }) => f.name).sort()).toEqual(['BrokenFlow', 'ReportFlow']);
    expect(flows.body.flows.find((f: { name: string }) => f.name === 'BrokenFlow').latest).toMatchObject({ id: '1', status: 'failed', user: 'tester' });

    const runs = (await get(ui.url, '/api/flows/ReportFlow/runs')).body.runs;
    expect(runs.map((r: { id: string; status: string; tags: string[] }) => [r.id, r.status, r.tags])).toEqual([
      ['2', 'succeeded', []],
      ['1', 'succeeded', ['nightly']],
    ]);
    expect(runs[0].duration).toBe(runs[0].finished - runs[0].started);
    expect((await get(ui.url, '/api/flows/ReportFlow/runs?tag=nightly')).body.runs.map((r: { id: string }) => r.id)).toEqual(['1']);
    expect((await get(ui.url, '/api/flows/ReportFlow/runs?q=2')).body.runs.map((r: { id: string }) => r.id)).toEqual(['2']);
    expect((await get(ui.url, '/api/flows/ReportFlow/runs?status=failed')).body.runs).toEqual([]);
    expect((await get(ui.url, '/api/flows/ReportFlow/runs?user=tester&status=succeeded&limit=1')).body.runs.map((r: { id: string }) => r.id)).toEqual(['2']);
    expect((await get(ui.url, '/api/flows/ReportFlow/runs?user=alice')).body.runs).toEqual([]);

    const run = (await get(ui.url, '/api/flows/ReportFlow/runs/1')).body;
    expect(run.steps.map((s: { name: string }) => s.name)).toEqual(['start', 'body', 'join', 'end']);
    expect(run.edges).toEqual([
      ['start', 'body'],
      ['body', 'join'],
      ['join', 'end'],
    ]);
    const body = run.steps[1];
    expect(body).toMatchObject({ foreach: true, state: 'succeeded', counts: { succeeded: 3, failed: 0, running: 0, pending: 0 } });
    expect(body.tasks.map((t: { index: number }) => t.index)).toEqual([0, 1, 2]);
    const [span] = body.tasks[0].spans;
    expect(body.tasks[0].spans).toEqual([{ attempt: 0, state: 'succeeded', started: body.tasks[0].started, finished: body.tasks[0].finished }]);
    expect(span.finished).toBeGreaterThanOrEqual(span.started);

    const dumped = await flowkit(['dump', 'ReportFlow', '1'], { cwd: dir, env });
    expect(dumped.code).toBe(0);
    const expected = parseDump(dumped.stdout);
    const shown: Record<string, Array<[string, string]>> = {};
    for (const step of run.steps) {
      for (const task of step.tasks) {
        const detail = (await get(ui.url, `/api/flows/ReportFlow/runs/1/steps/${step.name}/tasks/${task.id}`)).body;
        shown[detail.pathspec] = detail.artifacts.map((a: { name: string; type: string }) => [a.name, a.type]);
      }
    }
    expect(Object.keys(expected).length).toBe(6);
    expect(shown).toEqual(expected);
  });

  test('a task: attempts with the error, artifact previews as data, logs paged by byte range', async () => {
    const broken = (await get(ui.url, '/api/flows/BrokenFlow/runs/1')).body;
    const fail = broken.steps.find((s: { name: string }) => s.name === 'fail');
    expect(fail).toMatchObject({ state: 'failed', foreach: false, counts: { failed: 1 } });
    // The end step never ran: drawn from the graph the run stored, with no tasks.
    expect(broken.steps.map((s: { name: string; state: string }) => [s.name, s.state])).toEqual([
      ['start', 'succeeded'],
      ['fail', 'failed'],
      ['end', 'pending'],
    ]);
    expect(broken.edges).toEqual([
      ['start', 'fail'],
      ['fail', 'end'],
    ]);
    const task = (await get(ui.url, `/api/flows/BrokenFlow/runs/1/steps/fail/tasks/${fail.tasks[0].id}`)).body;
    expect(task.state).toBe('failed');
    expect(task.attempts).toEqual([expect.objectContaining({ attempt: 0, status: 'failed', error: 'RangeError: bad <b>value</b>' })]);
    const stderr = (await get(ui.url, `/api/flows/BrokenFlow/runs/1/steps/fail/tasks/${fail.tasks[0].id}/logs/stderr`)).body;
    expect(stderr.text).toContain('bad <b>value</b>');

    const start = (await get(ui.url, '/api/flows/ReportFlow/runs/1')).body.steps[0].tasks[0].id;
    const base = `/api/flows/ReportFlow/runs/1/steps/start/tasks/${start}`;
    const html = await get(ui.url, `${base}/artifacts/html`);
    expect(html.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(html.headers['content-security-policy']).toContain("script-src 'self'");
    expect(html.body).toMatchObject({ name: 'html', type: 'string', tooLarge: false, preview: JSON.stringify('<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">') });
    expect((await get(ui.url, `${base}/artifacts/items`)).body).toMatchObject({ preview: JSON.stringify([1, 2, 3], null, 2), table: null, image: null });
    expect((await get(ui.url, `${base}/artifacts/rows`)).body).toMatchObject({ preview: null, table: { columns: ['a', 'b', 'c'], rows: [['1', 'x', ''], ['2', '', '[1]']], total: 2 } });
    const big = (await get(ui.url, `${base}/artifacts/big`)).body;
    expect(big).toMatchObject({ tooLarge: true, preview: null });
    expect(big.size).toBeGreaterThan(big.limit);
    // Downloads carry the whole value: JSON, or a typed array's bytes.
    const bigFile = await get(ui.url, `${base}/artifacts/big/download`);
    expect(bigFile.headers).toMatchObject({ 'content-type': 'application/json; charset=utf-8', 'content-disposition': 'attachment; filename="big.json"', 'x-content-type-options': 'nosniff' });
    // (get parses a JSON answer.)
    expect(bigFile.body).toBe('x'.repeat(2 * 1024 * 1024));
    const floats = await fetch(`${ui.url}${base.slice(1)}/artifacts/floats/download`);
    expect([floats.headers.get('content-type'), floats.headers.get('content-disposition')]).toEqual(['application/octet-stream', 'attachment; filename="floats.bin"']);
    expect(Buffer.from(await floats.arrayBuffer()).equals(Buffer.from(new Float64Array([1.5, -2]).buffer))).toBe(true);
    expect((await get(ui.url, `${base}/artifacts/nothing`)).status).toBe(404);

    const bodyTask = (await get(ui.url, '/api/flows/ReportFlow/runs/1')).body.steps[1].tasks[2].id;
    const logs = `/api/flows/ReportFlow/runs/1/steps/body/tasks/${bodyTask}/logs/stdout`;
    const whole = (await get(ui.url, logs)).body;
    expect(whole).toMatchObject({ offset: 0, text: 'square é 9\n', size: Buffer.byteLength('square é 9\n') });
    // From byte 3, 6 bytes: 'are ' and 'é' (2 bytes); a range ending inside 'é' stops before it.
    expect((await get(ui.url, `${logs}?offset=3&limit=6`)).body).toMatchObject({ offset: 3, end: 9, text: 'are é' });
    expect((await get(ui.url, `${logs}?offset=3&limit=5`)).body).toMatchObject({ offset: 3, end: 7, text: 'are ' });
    expect((await get(ui.url, `${logs}?limit=3`)).body).toMatchObject({ offset: whole.size - 3, text: ' 9\n' });
    expect((await get(ui.url, `${logs}?attempt=4`)).status).toBe(404);
  });

  test('ids with ../, / or NUL are refused with a 400 and no route serves a file outside the datastore', async () => {
    const start = `/api/flows/ReportFlow/runs/1/steps/start`;
    for (const path of ['/api/flows/..', '/api/flows/ReportFlow/runs/..%2F..%2Fetc', '/api/flows/%2E%2E/runs', `${start}/tasks/..`, '/api/flows/ReportFlow/runs/1%00', `${start}/tasks/../artifacts/big/download`, `${start}/tasks/%2E%2E/artifacts/big/download`]) {
      const answer = await get(ui.url, path);
      expect([path, answer.status]).toEqual([path, 400]);
      expect(answer.body.error).toMatch(/^Invalid (flow|run|step|task) id/);
    }
    for (const path of ['/../../../etc/passwd', '/%2E%2E/%2E%2E/etc/passwd', '/vendor/../../package.json', '/page/index.html']) {
      const answer = await get(ui.url, path);
      expect([path, answer.status]).toEqual([path, 404]);
    }
    const task = (await get(ui.url, '/api/flows/ReportFlow/runs/1')).body.steps[0].tasks[0].id;
    for (const path of [`${start}/tasks/${task}/artifacts/..%2F..%2Fetc%2Fpasswd/download`, `${start}/tasks/${task}/artifacts/../download`, `${start}/tasks/${task}/artifacts/big/download/more`, `${start}/tasks/${task}/logs/stdout/download`]) {
      expect([path, (await get(ui.url, path)).status]).toEqual([path, 404]);
    }
    expect((await get(ui.url, '/api/flows/ReportFlow/runs/99')).status).toBe(404);
    expect((await get(ui.url, '/api/flows/ReportFlow/runs?status=lost')).status).toBe(400);
  });

  test('read-only, loopback names only, and the page and its layout library served from the package', async () => {
    const posted = await fetch(`${ui.url}api/flows`, { method: 'POST' });
    expect(posted.status).toBe(405);
    expect(posted.headers.get('allow')).toBe('GET, HEAD');
    expect((await get(ui.url, '/api/flows', { host: 'attacker.example' })).status).toBe(403);
    const page = await get(ui.url, '/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<script src="/vendor/dagre.min.js" defer></script>');
    const dagre = await get(ui.url, '/vendor/dagre.min.js');
    expect(dagre.status).toBe(200);
    expect(dagre.body).toContain('var dagre=');
    expect((await get(ui.url, '/app.js')).body).toContain('textContent');
  });

  test('a running run shows running, then succeeded once its waiting step goes on', async () => {
    const gate = join(dir, 'gate-open');
    const running = startUntil(['run', 'gate.ts'], { cwd: dir, env: { ...env, UI_GATE: gate } }, /\[\d+\/wait\/\d+ \(pid \d+\)\]/);
    await running.reached;
    const runId = await until(async () => (await get(ui.url, '/api/flows/GateFlow/runs')).body.runs?.[0]?.id as string | undefined);
    const during = await until(async () => {
      const run = (await get(ui.url, `/api/flows/GateFlow/runs/${runId}`)).body;
      return run.steps.some((s: { name: string; state: string }) => s.name === 'wait' && s.state === 'running') ? run : undefined;
    });
    expect(during.run.status).toBe('running');
    expect(during.steps.at(-1)).toMatchObject({ name: 'end', state: 'pending', tasks: [] });
    expect(during.edges).toContainEqual(['wait', 'end']);
    expect(during.run.finished).toBeNull();
    writeFileSync(gate, '');
    expect(await running.exited).toBe(0);
    const after = (await get(ui.url, `/api/flows/GateFlow/runs/${runId}`)).body;
    expect(after.run.status).toBe('succeeded');
    expect(after.steps.map((s: { name: string; state: string }) => [s.name, s.state])).toEqual([
      ['start', 'succeeded'],
      ['wait', 'succeeded'],
      ['end', 'succeeded'],
    ]);
  });
});

describe('flowkit ui: options and access', () => {
  test('0.0.0.0 without a token, a bad port or a port in use: a one-line error, nothing served', async () => {
    const open = await flowkit(['ui', '--host', '0.0.0.0'], { cwd: dir, env });
    expect(open.code).toBe(1);
    expect(open.stderr).toMatch(/^flowkit ui would serve your runs on 0\.0\.0\.0 without authentication\.\n {2}hint: set a token with --auth-token/);
    expect(open.stderr).not.toContain('    at ');
    for (const port of ['70000', 'abc', '-1']) {
      const bad = await flowkit(['ui', '--port', port], { cwd: dir, env });
      expect(bad.code).toBe(1);
      expect(bad.stderr.split('\n')[0]).toBe(`--port takes a port number from 0 to 65535, got '${port}'.`);
    }
    const taken = await flowkit(['ui', '--port', new URL(ui.url).port], { cwd: dir, env });
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/^flowkit ui cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
  });

  test('with --auth-token every request needs it: 401 without, a bearer header or the cookie ?token= sets', async () => {
    const guarded = await startUi({ cwd: dir, env }, ['--host', '0.0.0.0', '--auth-token', 's3cret']);
    try {
      expect((await get(guarded.url, '/api/flows')).status).toBe(401);
      expect((await get(guarded.url, '/')).status).toBe(401);
      expect((await get(guarded.url, '/api/flows', { authorization: 'Bearer wrong' })).status).toBe(401);
      // Beyond loopback the token is the guard: any host name may be used.
      const withBearer = await get(guarded.url, '/api/flows', { authorization: 'Bearer s3cret', host: 'flowkit.internal' });
      expect(withBearer.status).toBe(200);
      expect(withBearer.body.flows.map((f: { name: string }) => f.name)).toContain('ReportFlow');
      const redirect = await get(guarded.url, '/?token=s3cret');
      expect(redirect.status).toBe(303);
      expect(redirect.headers.location).toBe('/');
      const cookie = String(redirect.headers['set-cookie']);
      expect(cookie).toMatch(/^flowkit_ui_token=s3cret; HttpOnly; SameSite=Strict; Path=\/$/);
      expect((await get(guarded.url, '/api/flows', { cookie: cookie.split(';')[0] as string })).status).toBe(200);
      expect((await get(guarded.url, '/?token=wrong')).status).toBe(401);
      // The redirect goes to the page only, whatever address carried the token.
      expect((await get(guarded.url, '/.//attacker.example/?token=s3cret')).headers.location).toBe('/');
    } finally {
      await guarded.stop();
    }
  });
});
