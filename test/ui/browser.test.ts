import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT, flowkit, project, startUntil } from '../helpers/flowkit';
import { GATE_FLOW, get, startUi, until, type TestUi } from '../helpers/ui';

/** The page in a real browser: Debian's chromium (installed by .ci/run) driven by playwright-core. */
const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = join(REPO_ROOT, 'test', '.tmp', 'ui');
/** A 48x24 checkerboard PNG. */
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAADAAAAAYCAIAAAAzn+mLAAAAPElEQVR42mMwKLiAFV0wMMCKaK2eYdRBow4addCIc9BAWYxL/aiDRh006qCR56DRknrUQaMOGnXQADsIAIf/6ExOCNvuAAAAAElFTkSuQmCC';
const SVG_WITH_SCRIPT = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><script>window.pwned = 4</script><rect width="40" height="20" fill="teal"/></svg>';

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
  'preview.ts': `
import { FlowSpec, current, retry, step, Inputs } from '@flowkit/core';
export default class PreviewFlow extends FlowSpec {
  declare rows: Array<{ a: number; b: string }>; declare png: Buffer; declare svg: string; declare blob: Buffer; declare items: number[];
  @step start() {
    this.rows = Array.from({ length: 250 }, (_, i) => ({ a: i, b: i === 0 ? '<script>window.pwned = 3</script>' : 'x' + i }));
    this.png = Buffer.from('${PNG}', 'base64');
    this.svg = '${SVG_WITH_SCRIPT}';
    this.blob = Buffer.alloc(1536 * 1024).map((_, i) => i % 251);
    this.items = [0, 1, 2];
    this.next(this.body, { foreach: 'items' });
  }
  @retry({ times: 1 }) @step body() {
    if (this.input === 1 && current.retryCount === 0) throw new Error('the first attempt fails');
    this.next(this.join);
  }
  @step join(inputs: Inputs<PreviewFlow>) { this.next(this.end); }
  @step end() {}
}`,
  'gate.ts': GATE_FLOW,
};

/** The fill chromium paints for a selector's first match. */
function fill(selector: string): Promise<string> {
  return page.$eval(selector, (element) => getComputedStyle(element).fill);
}

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
  expect((await flowkit(['run', 'preview.ts'], { cwd: dir, env })).code).toBe(0);
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
    // join and end never ran: drawn from the graph the run stored, pending.
    expect(nodes.map(([step, state]) => [step, state])).toEqual([
      ['start', 'succeeded'],
      ['body', 'failed'],
      ['join', 'pending'],
      ['end', 'pending'],
    ]);
    // The foreach is one node with counts.
    expect(nodes[1]?.[1]).toBe('failed');
    const { counts } = (await get(ui.url, '/api/flows/BrokenFlow/runs/1')).body.steps[1];
    expect(counts.failed).toBeGreaterThan(0);
    expect(nodes[1]?.[2]).toBe(`body3 tasks · ${counts.failed} failed · ${counts.succeeded} done`);
    expect(await page.$$eval('svg#dag polyline.edge', (edges) => edges.length)).toBe(3);
    expect(await page.textContent('#step-title')).toBe('Step body');
    // The failed task's bar on the timeline is painted as the failed step's node.
    expect(await page.$$eval('svg#timeline rect.bar[data-state="failed"]', (bars) => bars.length)).toBe(counts.failed);
    expect(await fill('svg#timeline rect.bar[data-state="failed"]')).toBe(await fill('svg#dag g.node[data-state="failed"] rect'));
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
    await page.waitForSelector('div.artifact-preview table');
    const cells = await page.$$eval('div.artifact-preview table tr', (rows) => rows.map((row) => [...row.children].map((cell) => cell.textContent)));
    expect(cells).toEqual([['name', 'score'], ['a', '1'], ['b', '2']]);
    expect(await page.$$('main script, main img')).toHaveLength(0);
    expect(await page.evaluate('window.pwned')).toBeUndefined();
    expect(dialogs).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, 'artifacts.png'), fullPage: true });
  });

  test("the run's timeline: one bar per attempt, grouped by step in run order, on a time axis; a bar opens its task", async () => {
    const run = (await get(ui.url, '/api/flows/PreviewFlow/runs/1')).body;
    const expected = run.steps.flatMap((step: { name: string; tasks: Array<{ id: string; spans: Array<{ attempt: number; state: string }> }> }) =>
      step.tasks.flatMap((task) => task.spans.map((span) => [step.name, task.id, String(span.attempt), span.state])),
    );
    await page.goto(`${ui.url}#/flows/PreviewFlow/runs/1`);
    await page.waitForSelector('svg#timeline rect.bar');
    const bars = await page.$$eval('svg#timeline rect.bar', (rects) => rects.map((r) => ['data-step', 'data-task', 'data-attempt', 'data-state'].map((name) => r.getAttribute(name))));
    // start, body's 3 tasks (one retried), join, end; within a step, by start time.
    expect(bars).toHaveLength(7);
    expect([...bars].sort()).toEqual([...expected].sort());
    expect(bars.map(([step]) => step)).toEqual(['start', 'body', 'body', 'body', 'body', 'join', 'end']);
    expect(await page.$$eval('svg#timeline text.step', (labels) => labels.map((l) => l.textContent))).toEqual(['start', 'body', 'join', 'end']);
    expect(await page.textContent('svg#timeline text.tick')).toMatch(/^0(\.0+)? s$/);

    const retried = run.steps[1].tasks.find((t: { index: number }) => t.index === 1);
    const failed = `svg#timeline rect.bar[data-task="${retried.id}"][data-attempt="0"]`;
    expect(await page.getAttribute(failed, 'data-state')).toBe('failed');
    expect(await fill(failed)).toBe('rgb(242, 156, 156)');
    expect(await fill(`svg#timeline rect.bar[data-task="${retried.id}"][data-attempt="1"]`)).toBe(await fill('svg#dag g.node[data-state="succeeded"] rect'));
    expect(await page.textContent(`${failed} title`)).toMatch(new RegExp(`^PreviewFlow/1/body/${retried.id} · attempt 0 · failed · \\d+\\.\\d s$`));
    // Time runs left to right: end starts where start's bar has ended.
    const box = (step: string) => page.$eval(`svg#timeline rect.bar[data-step="${step}"]`, (r) => ({ x: Number(r.getAttribute('x')), width: Number(r.getAttribute('width')) }));
    const [start, end] = [await box('start'), await box('end')];
    expect(end.x).toBeGreaterThanOrEqual(start.x + start.width - 1);
    await page.screenshot({ path: join(SCREENSHOTS, 'run-timeline.png'), fullPage: true });

    await page.click(failed);
    await page.waitForSelector(`h1:has-text("Task PreviewFlow/1/body/${retried.id}")`);
    expect(await page.$$eval('main table:first-of-type tbody tr', (rows) => rows.map((r) => r.querySelector('.state')?.getAttribute('data-state')))).toEqual(['failed', 'succeeded']);
  });

  test('previews: records as a table, a PNG and an SVG as images whose scripts never run, a download past 1 MiB', async () => {
    const start = (await get(ui.url, '/api/flows/PreviewFlow/runs/1')).body.steps[0].tasks[0].id;
    await page.goto(`${ui.url}#/flows/PreviewFlow/runs/1/steps/start/tasks/${start}`);
    await page.click('button[data-artifact="rows"]');
    const records = page.locator('div.artifact-preview:has(table)');
    await records.waitFor();
    expect(await records.locator('th').allTextContents()).toEqual(['a', 'b']);
    expect(await records.locator('tbody tr').count()).toBe(200);
    expect(await records.locator('tbody tr').first().locator('td').allTextContents()).toEqual(['0', '<script>window.pwned = 3</script>']);
    expect(await records.locator('p.muted').textContent()).toBe('first 200 of 250 rows');

    await page.click('button[data-artifact="png"]');
    const png = page.locator('img.artifact-preview[alt="png"]');
    expect(await png.getAttribute('src')).toBe(`data:image/png;base64,${PNG}`);
    expect(await png.evaluate((img: HTMLImageElement) => img.decode().then(() => img.naturalWidth))).toBe(48);
    await page.click('button[data-artifact="svg"]');
    const svg = page.locator('img.artifact-preview[alt="svg"]');
    expect(await svg.getAttribute('src')).toBe(`data:image/svg+xml;base64,${Buffer.from(SVG_WITH_SCRIPT).toString('base64')}`);
    expect(await svg.evaluate((img: HTMLImageElement) => img.decode().then(() => img.naturalWidth))).toBe(40);
    // The SVG is an image, never markup in the page: its <script> does not run, nor does the one in a cell.
    expect(await page.$$('main script, main svg')).toHaveLength(0);
    expect(await page.evaluate('window.pwned')).toBeUndefined();

    await page.click('button[data-artifact="blob"]');
    const link = page.locator('p.artifact-preview a[download]');
    expect(await page.textContent('p.artifact-preview')).toBe('too large to preview (over 1.0 MiB): download');
    const href = (await link.getAttribute('href')) as string;
    expect(href).toBe(`/api/flows/PreviewFlow/runs/1/steps/start/tasks/${start}/artifacts/blob/download`);
    const download = await page.request.get(new URL(href, ui.url).href);
    expect(download.status()).toBe(200);
    expect(download.headers()).toMatchObject({ 'content-type': 'application/octet-stream', 'content-disposition': 'attachment; filename="blob.bin"', 'content-length': String(1536 * 1024) });
    // The bytes the flow stored, over the 1 MiB preview limit.
    expect((await download.body()).equals(Buffer.alloc(1536 * 1024).map((_, i) => i % 251))).toBe(true);
    await page.locator('h2:text-is("Artifacts")').evaluate((heading) => heading.scrollIntoView());
    await page.screenshot({ path: join(SCREENSHOTS, 'task-previews.png') });
    expect(dialogs).toEqual([]);
  });

  test('a running run: its step turns from running to succeeded on the open page', async () => {
    const gate = join(dir, 'gate-open');
    const running = startUntil(['run', 'gate.ts'], { cwd: dir, env: { ...env, UI_GATE: gate } }, /\[\d+\/wait\/\d+ \(pid \d+\)\]/);
    await running.reached;
    const runId = await until(async () => (await get(ui.url, '/api/flows/GateFlow/runs')).body.runs?.[0]?.id as string | undefined);
    await page.goto(`${ui.url}#/flows/GateFlow/runs/${runId}`);
    await page.waitForSelector('svg#dag g.node[data-step="wait"][data-state="running"]');
    expect(await page.getAttribute('svg#dag g.node[data-step="end"]', 'data-state')).toBe('pending');
    // Its attempt's bar runs to now.
    await page.waitForSelector('svg#timeline rect.bar[data-step="wait"][data-state="running"]');
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
