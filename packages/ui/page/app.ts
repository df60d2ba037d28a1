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

interface TaskSummary {
  id: string;
  state: State;
  index: number | null;
  attempts: number;
  started: number;
  finished: number | null;
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

interface TaskDetail extends Omit<TaskSummary, 'attempts'> {
  pathspec: string;
  attempts: AttemptDetail[];
  parents: string[];
  artifacts: Array<{ name: string; type: string; size: number }>;
}

/** While a run or task is running, its view asks again this often. */
const POLL_MS = 1500;
const SVG = 'http://www.w3.org/2000/svg';

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

async function artifactPreview(path: string, into: HTMLElement): Promise<void> {
  const artifact = await api<{ preview: string | null; tooLarge: boolean; truncated: boolean; limit: number }>(path);
  const text = artifact.tooLarge ? `too large to preview (over ${bytes(artifact.limit)})` : `${artifact.preview ?? ''}${artifact.truncated ? '\n… (cut)' : ''}`;
  into.replaceChildren(el('pre', { class: 'artifact-preview' }, text));
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
    open.addEventListener('click', () => artifactPreview(`${base}/artifacts/${encodeURIComponent(a.name)}`, preview).catch(showError));
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
