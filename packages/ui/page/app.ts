/*
 * The page of `flowkit ui`: flows, runs, a run's DAG, a task. Every value from the API reaches the page as text
 * (textContent, attribute values), never as markup. Views are chosen by the address's hash: #/flows/F/runs/R/...
 */

type State = 'pending' | 'running' | 'succeeded' | 'failed';

interface RunSummary {
  id: string;
  user: string;
  tags: string[];
  status: State;
  started: number;
  finished: number | null;
  duration: number | null;
}

interface AttemptSpan {
  attempt: number;
  state: State;
  started: number;
  finished: number | null;
}

interface TaskSummary {
  id: string;
  state: State;
  index: number | null;
  attempts: number;
  started: number;
  finished: number | null;
  spans: AttemptSpan[];
}

interface StepSummary {
  name: string;
  state: State;
  foreach: boolean;
  counts: Record<State, number>;
  tasks: TaskSummary[];
}

interface AttemptDetail {
  attempt: number;
  status: State;
  started: number;
  finished: number | null;
  error: string | null;
  died: string | null;
}

interface TaskDetail extends Omit<TaskSummary, 'attempts' | 'spans'> {
  pathspec: string;
  attempts: AttemptDetail[];
  parents: string[];
  artifacts: Array<{ name: string; type: string; size: number }>;
}

interface ArtifactAnswer {
  tooLarge: boolean;
  limit: number;
  preview: string | null;
  truncated: boolean;
  table: { columns: string[]; rows: string[][]; total: number } | null;
  image: { type: string; base64: string } | null;
}

/** While a run or task is running, its view asks again this often. */
const POLL_MS = 1500;
const SVG = 'http://www.w3.org/2000/svg';
/** The timeline's geometry, in pixels: step labels' column, axis height, a lane's and a step's largest height. */
const TIMELINE = { label: 110, axis: 22, lane: 12, step: 240 };

type Child = Node | string | null | undefined;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Record<string, string> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  for (const child of children) if (child !== null && child !== undefined) element.append(child);
  return element;
}

function svg(tag: string, attributes: Record<string, string | number> = {}): SVGElement {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  return element;
}

function link(hash: string, text: string): HTMLAnchorElement {
  return el('a', { href: hash }, text);
}

function hashOf(...ids: string[]): string {
  return `#/${ids.map(encodeURIComponent).join('/')}`;
}

function apiPath(...parts: string[]): string {
  return `/api/${parts.map(encodeURIComponent).join('/')}`;
}

async function api<T>(path: string): Promise<T> {
  const response = await fetch(path, { credentials: 'same-origin' });
  const body = (await response.json()) as T & { error?: string; hint?: string };
  if (!response.ok) throw new Error(`${body.error ?? response.statusText}${body.hint ? ` (${body.hint})` : ''}`);
  return body;
}

function stateBadge(state: string): HTMLSpanElement {
  return el('span', { class: `state state-${state}`, 'data-state': state }, state);
}

function time(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toLocaleString();
}

function duration(ms: number | null): string {
  if (ms === null) return '-';
  const seconds = ms / 1000;
  return seconds < 60 ? `${seconds.toFixed(1)} s` : `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

function bytes(size: number): string {
  return size < 1024 ? `${size} B` : size < 1024 ** 2 ? `${(size / 1024).toFixed(1)} KiB` : `${(size / 1024 ** 2).toFixed(1)} MiB`;
}

function table(headers: string[], rows: Child[][]): HTMLTableElement {
  return el('table', {}, el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', {}, h)))), el('tbody', {}, ...rows.map((cells) => el('tr', {}, ...cells.map((c) => el('td', {}, c))))));
}

function crumbs(...items: Array<[string, string]>): void {
  (document.getElementById('crumbs') as HTMLElement).replaceChildren(...items.flatMap(([hash, text]) => [' / ', link(hash, text)]));
}

function showError(error: unknown): void {
  const banner = document.getElementById('error') as HTMLElement;
  banner.textContent = error instanceof Error ? error.message : String(error);
  banner.hidden = false;
}

/** Each view renders into `main`; a newer navigation makes an older view's late answers and polls stop. */
let generation = 0;

async function flowsView(): Promise<void> {
  crumbs();
  const { flows } = await api<{ flows: Array<{ name: string; latest: RunSummary | null }> }>(apiPath('flows'));
  const rows = flows.map((f) => [link(hashOf('flows', f.name), f.name), f.latest ? link(hashOf('flows', f.name, 'runs', f.latest.id), f.latest.id) : '-', f.latest ? stateBadge(f.latest.status) : '-', time(f.latest?.started ?? null)]);
  render(el('h1', {}, 'Flows'), flows.length > 0 ? table(['Flow', 'Latest run', 'Status', 'Started'], rows) : el('p', {}, 'No flows have run here yet (in this namespace).'));
}

async function runsView(flow: string, mine: number): Promise<void> {
  crumbs([hashOf('flows', flow), flow]);
  const status = el('select', { id: 'status-filter' }, ...['', 'running', 'succeeded', 'failed'].map((s) => el('option', { value: s }, s || 'any status')));
  const tag = el('input', { id: 'tag-filter', placeholder: 'tag' });
  const user = el('input', { id: 'user-filter', placeholder: 'user' });
  const search = el('input', { id: 'run-search', placeholder: 'run id' });
  const list = el('div', { id: 'runs' });
  const refresh = async () => {
    const query = new URLSearchParams();
    if (status.value) query.set('status', status.value);
    if (tag.value.trim()) query.set('tag', tag.value.trim());
    if (user.value.trim()) query.set('user', user.value.trim());
    if (search.value.trim()) query.set('q', search.value.trim());
    const { runs } = await api<{ runs: RunSummary[] }>(`${apiPath('flows', flow, 'runs')}?${query}`);
    if (mine !== generation) return;
    const rows = runs.map((r) => [link(hashOf('flows', flow, 'runs', r.id), r.id), r.user, r.tags.join(', '), stateBadge(r.status), time(r.started), duration(r.duration)]);
    list.replaceChildren(runs.length > 0 ? table(['Run', 'User', 'Tags', 'Status', 'Started', 'Duration'], rows) : el('p', {}, 'No runs match.'));
  };
  for (const input of [status, tag, user, search]) input.addEventListener('change', () => refresh().catch(showError));
  render(el('h1', {}, flow), el('div', { class: 'filters' }, status, tag, user, search), list);
  await refresh();
}

function dagNodeLabel(step: StepSummary): string[] {
  if (!step.foreach) return [step.name];
  if (step.tasks.length === 0) return [step.name, 'not started'];
  const { counts } = step;
  const parts = [`${step.tasks.length} tasks`, counts.running ? `${counts.running} running` : '', counts.failed ? `${counts.failed} failed` : '', `${counts.succeeded} done`];
  return [step.name, parts.filter(Boolean).join(' · ')];
}

/** The DAG laid out by dagre, drawn as SVG: one node per step (a foreach's tasks as one node with counts). */
function dag(steps: StepSummary[], edges: Array<[string, string]>, selected: string | undefined, select: (step: string) => void): SVGElement {
  const graph = new dagre.graphlib.Graph().setGraph({ rankdir: 'TB', nodesep: 30, ranksep: 40 }).setDefaultEdgeLabel(() => ({}));
  for (const step of steps) graph.setNode(step.name, { width: step.foreach ? 200 : 140, height: step.foreach ? 48 : 34 });
  for (const [from, to] of edges) if (graph.nodes().includes(from) && graph.nodes().includes(to)) graph.setEdge(from, to);
  dagre.layout(graph);
  const { width = 0, height = 0 } = graph.graph();
  const root = svg('svg', { id: 'dag', width: width + 20, height: height + 20, viewBox: `-10 -10 ${width + 20} ${height + 20}` });
  const marker = svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto' });
  marker.append(svg('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#5b6470' }));
  root.append(svg('defs'));
  root.lastElementChild?.append(marker);
  for (const edge of graph.edges()) {
    const points = graph.edge(edge).points ?? [];
    root.append(svg('polyline', { class: 'edge', points: points.map((p) => `${p.x},${p.y}`).join(' '), 'marker-end': 'url(#arrow)' }));
  }
  for (const step of steps) {
    const { x = 0, y = 0, width: w, height: h } = graph.node(step.name);
    const group = svg('g', { class: `node state-${step.state}${step.name === selected ? ' selected' : ''}`, 'data-step': step.name, 'data-state': step.state, tabindex: 0 });
    group.append(svg('rect', { x: x - w / 2, y: y - h / 2, width: w, height: h }));
    const lines = dagNodeLabel(step);
    lines.forEach((line, i) => {
      const text = svg('text', { x, y: y + (i - (lines.length - 1) / 2) * 16 });
      text.textContent = line;
      group.append(text);
    });
    group.addEventListener('click', () => select(step.name));
    root.append(group);
  }
  return root;
}

interface Bar {
  step: string;
  task: string;
  span: AttemptSpan;
  start: number;
  end: number;
}

/** A step's bars in lanes: each bar, by start, goes into the first lane free by then (as many lanes as ran at once). */
function lanes(bars: Bar[]): number[] {
  const ends: number[] = [];
  return bars.map((bar) => {
    const free = ends.findIndex((end) => end <= bar.start);
    const lane = free === -1 ? ends.length : free;
    ends[lane] = bar.end;
    return lane;
  });
}

/** A tick's offset with as many decimals as the ticks' spacing needs (0.05 s apart: two). */
function tickLabel(offset: number, step: number): string {
  return step >= 1000 ? duration(offset) : `${(offset / 1000).toFixed(Math.ceil(-Math.log10(step / 1000)))} s`;
}

/** About `count` ticks a round number of 1, 2 or 5 times a power of ten milliseconds apart. */
function tickStep(span: number, count: number): number {
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5].map((m) => m * power).find((step) => step >= raw) ?? 10 * power;
}

/** One attempt's bar; its <title> is the tooltip. A lane tall enough keeps a pixel free below its bars. */
function barOf(flow: string, runId: string, bar: Bar, x: (t: number) => number, y: number, height: number): SVGElement {
  const { span } = bar;
  const rect = svg('rect', { class: `bar state-${span.state}`, 'data-step': bar.step, 'data-task': bar.task, 'data-attempt': span.attempt, 'data-state': span.state, x: x(bar.start), y, width: Math.max(1, x(bar.end) - x(bar.start)), height: height > 3 ? height - 1 : height });
  const title = svg('title');
  title.textContent = `${flow}/${runId}/${bar.step}/${bar.task} · attempt ${span.attempt} · ${span.state} · ${duration(bar.end - bar.start)}`;
  rect.append(title);
  return rect;
}

/** Tick labels and lines from t0 to t1, the lines down to `bottom`. */
function timeAxis(x: (t: number) => number, t0: number, t1: number, bottom: number): SVGElement[] {
  const step = tickStep(t1 - t0, 8);
  const axis: SVGElement[] = [];
  for (let t = 0; t <= t1 - t0; t += step) {
    const label = svg('text', { class: 'tick', x: x(t0 + t), y: 12 });
    label.textContent = tickLabel(t, step);
    axis.push(label, svg('line', { class: 'tick', x1: x(t0 + t), x2: x(t0 + t), y1: 16, y2: bottom }));
  }
  return axis;
}

/**
 * The run's attempts on a time axis: one bar each, from its start to its end (a running one to now), steps in run
 * order, coloured as the DAG is. One SVG with one listener.
 */
function timeline(flow: string, run: RunSummary, steps: StepSummary[]): SVGElement | null {
  const now = Date.now();
  const groups = steps.map((step) => {
    const bars = step.tasks.flatMap((task) => task.spans.map((span) => ({ step: step.name, task: task.id, span, start: span.started, end: span.finished ?? (span.state === 'running' ? now : span.started) })));
    return { step: step.name, bars: bars.sort((a, b) => a.start - b.start) };
  }).filter((group) => group.bars.length > 0);
  const bars = groups.flatMap((g) => g.bars);
  if (bars.length === 0) return null;
  const t0 = bars.reduce((min, bar) => Math.min(min, bar.start), run.started);
  const t1 = Math.max(t0 + 1, bars.reduce((max, bar) => Math.max(max, bar.end), 0));
  const width = Math.max(600, (document.getElementById('view') as HTMLElement).clientWidth - 40);
  const x = (t: number) => TIMELINE.label + ((t - t0) / (t1 - t0)) * (width - TIMELINE.label - 24);
  const root = svg('svg', { id: 'timeline', width });
  let top = TIMELINE.axis;
  for (const group of groups) {
    const lane = lanes(group.bars);
    const count = lane.reduce((most, l) => Math.max(most, l + 1), 1);
    const height = Math.min(TIMELINE.lane, Math.max(1, TIMELINE.step / count));
    const label = svg('text', { class: 'step', x: 0, y: top + Math.min(TIMELINE.lane, count * height) / 2 });
    label.textContent = group.step;
    root.append(svg('line', { class: 'group', x1: 0, x2: width, y1: top - 2, y2: top - 2 }), label);
    group.bars.forEach((bar, i) => root.append(barOf(flow, run.id, bar, x, top + (lane[i] as number) * height, height)));
    top += count * height + 6;
  }
  // The axis goes under the bars.
  root.prepend(...timeAxis(x, t0, t1, top));
  root.setAttribute('height', String(top));
  root.addEventListener('click', (event) => {
    const bar = (event.target as Element).closest('rect.bar');
    if (bar) location.hash = hashOf('flows', flow, 'runs', run.id, 'steps', bar.getAttribute('data-step') ?? '', 'tasks', bar.getAttribute('data-task') ?? '');
  });
  return root;
}

interface RunAnswer {
  run: RunSummary;
  steps: StepSummary[];
  edges: Array<[string, string]>;
}

function drawRun(flow: string, answer: RunAnswer, selected: string | undefined, select: (step: string) => void): void {
  const { run, steps, edges } = answer;
  const chosen = steps.find((s) => s.name === selected) ?? steps.find((s) => s.state === 'failed') ?? steps.find((s) => s.state === 'running');
  const taskRows = (chosen?.tasks ?? []).map((t) => [link(hashOf('flows', flow, 'runs', run.id, 'steps', chosen?.name ?? '', 'tasks', t.id), t.id), t.index === null ? '-' : String(t.index), stateBadge(t.state), String(t.attempts), time(t.started), duration(t.finished === null ? null : t.finished - t.started)]);
  render(
    el('h1', {}, `${flow} run ${run.id} `, stateBadge(run.status)),
    el('p', { class: 'muted' }, `user ${run.user} · tags ${run.tags.join(', ') || '(none)'} · started ${time(run.started)} · duration ${duration(run.duration)}`),
    dag(steps, edges, chosen?.name, select),
    el('h2', {}, 'Timeline'),
    timeline(flow, run, steps) ?? el('p', { class: 'muted' }, 'No task has started yet.'),
    chosen ? el('h2', { id: 'step-title' }, `Step ${chosen.name}`) : el('p', { class: 'muted' }, 'Click a step to see its tasks.'),
    chosen ? table(['Task', 'Index', 'State', 'Attempts', 'Started', 'Duration'], taskRows) : null,
  );
}

/** A run's page; one chain of polls while it runs, whatever step is selected meanwhile. */
async function runView(flow: string, runId: string, mine: number): Promise<void> {
  crumbs([hashOf('flows', flow), flow], [hashOf('flows', flow, 'runs', runId), `run ${runId}`]);
  let selected: string | undefined;
  let answer: RunAnswer | undefined;
  const select = (step: string) => {
    selected = step;
    if (answer) drawRun(flow, answer, selected, select);
  };
  const poll = async (): Promise<void> => {
    const next = await api<RunAnswer>(apiPath('flows', flow, 'runs', runId));
    if (mine !== generation) return;
    answer = next;
    drawRun(flow, answer, selected, select);
    if (answer.run.status === 'running') setTimeout(() => void poll().catch(showError), POLL_MS);
  };
  await poll();
}

/** A download link past the size limit; else an image as a data: address in an <img> (which runs no script an SVG holds), a table, or JSON text. */
function previewOf(name: string, path: string, artifact: ArtifactAnswer): HTMLElement {
  if (artifact.tooLarge) return el('p', { class: 'artifact-preview' }, `too large to preview (over ${bytes(artifact.limit)}): `, el('a', { href: `${path}/download`, download: '' }, 'download'));
  if (artifact.image) return el('img', { class: 'artifact-preview', alt: name, src: `data:${artifact.image.type};base64,${artifact.image.base64}` });
  const { table: records } = artifact;
  if (records) {
    const more = records.total > records.rows.length ? el('p', { class: 'muted' }, `first ${records.rows.length} of ${records.total} rows`) : null;
    return el('div', { class: 'artifact-preview' }, table(records.columns, records.rows), more);
  }
  return el('pre', { class: 'artifact-preview' }, `${artifact.preview ?? ''}${artifact.truncated ? '\n… (cut)' : ''}`);
}

async function artifactPreview(name: string, path: string, into: HTMLElement): Promise<void> {
  into.replaceChildren(previewOf(name, path, await api<ArtifactAnswer>(path)));
}

/** A log shown from its tail; "earlier" pages back by byte range. */
async function logView(base: string, stream: 'stdout' | 'stderr', attempt: number): Promise<HTMLElement> {
  const box = el('div', { class: 'log', 'data-stream': stream });
  const pre = el('pre', { id: `log-${stream}` });
  const page = await api<{ offset: number; text: string; size: number }>(`${base}/logs/${stream}?attempt=${attempt}`);
  pre.textContent = page.text;
  let offset = page.offset;
  const earlier = el('button', { type: 'button' }, 'earlier');
  earlier.hidden = offset === 0;
  earlier.addEventListener('click', () => {
    const from = Math.max(0, offset - 65536);
    api<{ text: string }>(`${base}/logs/${stream}?attempt=${attempt}&offset=${from}&limit=${offset - from}`)
      .then((more) => {
        pre.textContent = more.text + (pre.textContent ?? '');
        offset = from;
        earlier.hidden = offset === 0;
      })
      .catch(showError);
  });
  box.append(el('h3', {}, `${stream} (${bytes(page.size)}) `, earlier), pre);
  return box;
}

async function taskView(flow: string, runId: string, step: string, taskId: string, mine: number): Promise<void> {
  crumbs([hashOf('flows', flow), flow], [hashOf('flows', flow, 'runs', runId), `run ${runId}`], [hashOf('flows', flow, 'runs', runId, 'steps', step, 'tasks', taskId), `${step}/${taskId}`]);
  const base = apiPath('flows', flow, 'runs', runId, 'steps', step, 'tasks', taskId);
  const task = await api<TaskDetail>(base);
  const attempt = task.attempts.at(-1)?.attempt ?? 0;
  const logs = await Promise.all([logView(base, 'stdout', attempt), logView(base, 'stderr', attempt)]);
  if (mine !== generation) return;
  const attemptRows = task.attempts.map((a) => [String(a.attempt), stateBadge(a.status), time(a.started), time(a.finished), a.error ? el('pre', { class: 'error' }, a.error + (a.died ? `\n${a.died}` : '')) : '-']);
  const artifactRows = task.artifacts.map((a) => {
    const preview = el('div', { class: 'preview' });
    const open = el('button', { type: 'button', 'data-artifact': a.name }, 'preview');
    open.addEventListener('click', () => artifactPreview(a.name, `${base}/artifacts/${encodeURIComponent(a.name)}`, preview).catch(showError));
    return [a.name, a.type, bytes(a.size), el('div', {}, open, preview)];
  });
  render(
    el('h1', {}, `Task ${task.pathspec} `, stateBadge(task.state)),
    el('p', { class: 'muted' }, `from ${task.parents.join(', ') || '(parameters)'}${task.index === null ? '' : ` · foreach index ${task.index}`}`),
    el('h2', {}, 'Attempts'),
    table(['Attempt', 'Status', 'Started', 'Finished', 'Error'], attemptRows),
    el('h2', {}, 'Artifacts'),
    artifactRows.length > 0 ? table(['Name', 'Type', 'Size', 'Value'], artifactRows) : el('p', { class: 'muted' }, 'None (a task stores its artifacts when it finishes).'),
    el('h2', {}, 'Logs'),
    ...logs,
  );
  if (task.state === 'running' || task.state === 'pending') setTimeout(() => mine === generation && void taskView(flow, runId, step, taskId, mine).catch(showError), POLL_MS);
}

function render(...children: Child[]): void {
  (document.getElementById('view') as HTMLElement).replaceChildren(...children.filter((c): c is Node | string => c !== null && c !== undefined));
}

function route(): void {
  const mine = ++generation;
  (document.getElementById('error') as HTMLElement).hidden = true;
  let parts: string[] = [];
  try {
    parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    showError(new Error('The address is not valid percent-encoding.'));
  }
  const [flows, flow, runs, run, steps, step, tasks, task] = parts;
  let view: Promise<void>;
  if (flows === 'flows' && flow && runs === 'runs' && run && steps === 'steps' && step && tasks === 'tasks' && task) view = taskView(flow, run, step, task, mine);
  else if (flows === 'flows' && flow && runs === 'runs' && run) view = runView(flow, run, mine);
  else if (flows === 'flows' && flow) view = runsView(flow, mine);
  else view = flowsView();
  view.catch(showError);
}

window.addEventListener('hashchange', route);
route();
