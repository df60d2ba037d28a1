import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT, flowkit, project, startUntil } from '../helpers/flowkit';
import { GATE_FLOW, get, startUi, until, type TestUi } from '../helpers/ui';

/** The page in a real browser: Debian's chromium (installed by .ci/run) driven by playwright-core. */
const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = join(REPO_ROOT, 'test', '.tmp', 'ui');

const FLOWS = {
  'report.ts': `
import { FlowSpec, step } from '@flowkit/core';
export default class ReportFlow extends FlowSpec {
  declare html: string; declare table: Array<{ name: string; score: number }>;
  @step start() {
    this.html = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">';
    this.table = [{ name: 'a', score: 1 }, { name: 'b', score: 2 }];
    this.next(this.end);
  }
  @step end() {}
}`,
  'broken.ts': `
import { FlowSpec, step, Inputs } from '@flowkit/core';
export default class BrokenFlow extends FlowSpec {
  declare items: number[];
  @step start() { this.items = [1, 2, 3]; this.next(this.body, { foreach: 'items' }); }
  @step body() {
    if (this.input === 2) throw new RangeError('bad <b>value</b>');
    this.next(this.join);
  }
  @step join(inputs: Inputs<BrokenFlow>) { this.next(this.end); }
  @step end() {}
}`,
  'wide.ts': `
import { FlowSpec, step, Inputs } from '@flowkit/core';
export default class WideFlow extends FlowSpec {
  declare items: number[]; declare item: number;
  @step start() { this.items = Array.from({ length: 200 }, (_, i) => i); this.next(this.body, { foreach: 'items' }); }
  @step body() { this.item = this.input as number; this.next(this.join); }
  @step join(inputs: Inputs<WideFlow>) { this.next(this.end); }
  @step end() {}
}`,
  'gate.ts': GATE_FLOW,
};

let dir: string;
let env: Record<string, string>;
let ui: TestUi;
let browser: Browser;
let page: Page;
const dialogs: string[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium), as .ci/run does`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  ({ dir, env } = project(FLOWS));
  expect((await flowkit(['run', 'report.ts'], { cwd: dir, env })).code).toBe(0);
  expect((await flowkit(['run', 'broken.ts'], { cwd: dir, env })).code).toBe(1);
  ui = await startUi({ cwd: dir, env });
  // Root (CI) cannot use chromium's sandbox.
  browser = await chromium.launch({ executablePath: CHROMIUM, chromiumSandbox: false });
  page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));
}, 120000);

afterAll(async () => {
  await browser?.close();
  await ui?.stop();
});

describe('flowkit ui in chromium', () => {
  test('flows, a run with its DAG, a failed foreach task and its error', async () => {
    await page.goto(ui.url);
    await page.click('a[href="#/flows/BrokenFlow"]');
    await page.click('#runs a[href="#/flows/BrokenFlow/runs/1"]');
    await page.waitForSelector('svg#dag g.node');
    const nodes = await page.$$eval('svg#dag g.node', (gs) => gs.map((g) => [g.getAttribute('data-step'), g.getAttribute('data-state'), g.textContent]));
    expect(nodes.map(([step]) => step)).toEqual(['start', 'body']);
    expect(nodes[0]?.[1]).toBe('succeeded');
    // The foreach is one node with counts.
    expect(nodes[1]?.[1]).toBe('failed');
    const { counts } = (await get(ui.url, '/api/flows/BrokenFlow/runs/1')).body.steps[1];
    expect(counts.failed).toBeGreaterThan(0);
    expect(nodes[1]?.[2]).toBe(`body3 tasks · ${counts.failed} failed · ${counts.succeeded} done`);
    expect(await page.$$eval('svg#dag polyline.edge', (edges) => edges.length)).toBe(1);
    expect(await page.textContent('#step-title')).toBe('Step body');
    await page.screenshot({ path: join(SCREENSHOTS, 'run-dag.png'), fullPage: true });

    await page.click('tr:has(span.state-failed) a');
    const error = await page.waitForSelector('pre.error');
    expect(await error.textContent()).toBe('RangeError: bad <b>value</b>');
    expect(await page.$$('pre.error b')).toHaveLength(0);
    expect(await page.textContent('#log-stderr')).toContain('bad <b>value</b>');
    await page.screenshot({ path: join(SCREENSHOTS, 'task-error.png'), fullPage: true });
  });

  test('an artifact holding <script> and an onerror <img> is shown as text and runs nothing', async () => {
    const run = (await get(ui.url, '/api/flows/ReportFlow/runs/1')).body;
    await page.goto(`${ui.url}#/flows/ReportFlow/runs/1/steps/start/tasks/${run.steps[0].tasks[0].id}`);
    await page.click('button[data-artifact="html"]');
    const preview = await page.waitForSelector('pre.artifact-preview');
    expect(await preview.textContent()).toBe(JSON.stringify('<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'));
    await page.click('button[data-artifact="table"]');
    await page.waitForFunction("document.querySelectorAll('pre.artifact-preview').length === 2");
    expect(await page.$$('main script, main img')).toHaveLength(0);
    expect(await page.evaluate('window.pwned')).toBeUndefined();
    expect(dialogs).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, 'artifacts.png'), fullPage: true });
  });

  test('a running run: its step turns from running to succeeded on the open page', async () => {
    const gate = join(dir, 'gate-open');
    const running = startUntil(['run', 'gate.ts'], { cwd: dir, env: { ...env, UI_GATE: gate } }, /\[\d+\/wait\/\d+ \(pid \d+\)\]/);
    await running.reached;
    const runId = await until(async () => (await get(ui.url, '/api/flows/GateFlow/runs')).body.runs?.[0]?.id as string | undefined);
    await page.goto(`${ui.url}#/flows/GateFlow/runs/${runId}`);
    await page.waitForSelector('svg#dag g.node[data-step="wait"][data-state="running"]');
    expect(await page.getAttribute('h1 .state', 'data-state')).toBe('running');
    await page.screenshot({ path: join(SCREENSHOTS, 'run-live.png'), fullPage: true });
    writeFileSync(gate, '');
    expect(await running.exited).toBe(0);
    // The page asks again while the run runs: no reload here.
    await page.waitForSelector('svg#dag g.node[data-step="end"][data-state="succeeded"]', { timeout: 60000 });
    await page.waitForSelector('h1 .state[data-state="succeeded"]', { timeout: 60000 });
    expect(await page.getAttribute('svg#dag g.node[data-step="wait"]', 'data-state')).toBe('succeeded');
    expect(pageErrors).toEqual([]);
  });

  test('a 200-task foreach is one node that opens into its 200 tasks', async () => {
    expect((await flowkit(['run', 'wide.ts', '--max-num-splits', '200'], { cwd: dir, env })).code).toBe(0);
    await page.goto(`${ui.url}#/flows/WideFlow/runs/1`);
    const body = await page.waitForSelector('svg#dag g.node[data-step="body"]');
    expect(await body.textContent()).toBe('body200 tasks · 200 done');
    expect(await page.$$eval('svg#dag g.node', (gs) => gs.map((g) => g.getAttribute('data-step')))).toEqual(['start', 'body', 'join', 'end']);
    await body.click();
    await page.waitForSelector('#step-title:text-is("Step body")');
    expect(await page.$$('tbody tr:has(span.state-succeeded)')).toHaveLength(200);
    await page.screenshot({ path: join(SCREENSHOTS, 'foreach-200.png'), fullPage: false });
    await page.click('tbody tr:nth-child(151) a');
    await page.waitForSelector('h1:has-text("Task WideFlow/1/body/")');
    expect(await page.textContent('main p.muted')).toContain('foreach index 150');
  });
});
