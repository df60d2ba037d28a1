import { artifactToJson } from '@flowkit/core/internal';
import type { AttemptRecord, RunGraph, RunRecord } from '@flowkit/core/plugin';
import { Flow, Metaflow, Run, Task } from '@flowkit/client';

/** Artifacts above this serialized size are not loaded for a preview. */
export const PREVIEW_MAX_BYTES = 1024 * 1024;
/** A preview's text is cut here. */
export const PREVIEW_MAX_CHARS = 100_000;
/** An array of records previews as a table of its first rows, up to this many, with at most so many columns. */
const TABLE_MAX_ROWS = 200;
const TABLE_MAX_COLUMNS = 30;
const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** An SVG document's start: an XML declaration, comments and a doctype may come before `<svg`. */
const SVG_START = /^\s*(?:<\?xml[^>]*>\s*)?(?:<!--[\s\S]*?-->\s*)*(?:<!DOCTYPE svg[^>]*>\s*)?<svg[\s>]/i;
/** A log page's default and largest size, in bytes. */
export const LOG_PAGE_BYTES = 64 * 1024;
export const LOG_PAGE_MAX_BYTES = 1024 * 1024;
/** The runs a list returns unless asked for fewer. */
const RUNS_LIMIT = 200;

export type TaskState = 'pending' | 'running' | 'succeeded' | 'failed';
export type RunState = 'running' | 'succeeded' | 'failed';

export interface RunSummary {
  id: string;
  user: string;
  tags: string[];
  status: RunState;
  started: number;
  finished: number | null;
  duration: number | null;
}

/** One attempt of a task, as the run's timeline draws it. */
export interface AttemptSpan {
  attempt: number;
  state: TaskState;
  started: number;
  /** Null while it runs (or when it died unrecorded). */
  finished: number | null;
}

export interface TaskSummary {
  id: string;
  state: TaskState;
  index: number | null;
  attempts: number;
  started: number;
  finished: number | null;
  spans: AttemptSpan[];
}

export interface StepSummary {
  name: string;
  state: TaskState;
  /** More than one task, or tasks of a foreach: drawn as one node with counts. */
  foreach: boolean;
  counts: Record<TaskState, number>;
  tasks: TaskSummary[];
}

/** Every flow with at least one run in the namespace, with its latest run. */
export async function listFlows(): Promise<{ flows: Array<{ name: string; latest: RunSummary | null }> }> {
  const flows = await new Metaflow().flows();
  return {
    flows: await Promise.all(
      flows.map(async (flow) => {
        const [latest] = await flow.runs({ limit: 1 });
        return { name: flow.id, latest: latest ? await runSummary(latest) : null };
      }),
    ),
  };
}

/** A flow's runs, newest first: all carrying `tags`, by `user`, in `status`, whose id contains `search`. */
export async function listRuns(flowName: string, filter: { tags: string[]; user?: string; status?: string; search?: string; limit?: number }): Promise<{ runs: RunSummary[] }> {
  const limit = filter.limit ?? RUNS_LIMIT;
  const runs: RunSummary[] = [];
  for (const run of await new Flow(flowName).runs({ tags: filter.tags })) {
    if (runs.length >= limit) break;
    if (filter.search && !run.id.includes(filter.search)) continue;
    const summary = await runSummary(run);
    if ((!filter.status || summary.status === filter.status) && (!filter.user || summary.user === filter.user)) runs.push(summary);
  }
  return { runs };
}

async function runSummary(run: Run): Promise<RunSummary> {
  const record = await run.record();
  const status = await runState(run, record);
  const finished = record.finishedAt ?? (status === 'running' ? undefined : (await run.finishedAt)?.getTime());
  return {
    id: run.id,
    user: record.user,
    tags: [...record.tags],
    status,
    started: record.createdAt,
    finished: finished ?? null,
    duration: finished === undefined ? null : finished - record.createdAt,
  };
}

/** The scheduler's word when it recorded one; else a run whose end step finished succeeded, any other still runs. */
async function runState(run: Run, record: RunRecord): Promise<RunState> {
  if (record.status === 'succeeded' || record.status === 'failed') return record.status;
  return (await run.successful) ? 'succeeded' : 'running';
}

/**
 * A run with every step of the graph it ran with (those without tasks yet as pending) and the graph's edges; for
 * a run recorded before runs kept their graph, the steps that have tasks and the edges their tasks' inputs record.
 */
export async function getRun(flowName: string, runId: string): Promise<{ run: RunSummary; steps: StepSummary[]; edges: Array<[string, string]> }> {
  const run = new Run(`${flowName}/${runId}`);
  const [summary, graph] = await Promise.all([runSummary(run), run.graph]);
  if (graph) {
    const steps = await Promise.all(graph.order.map(async (name) => stepSummary(name, await run.step(name).tasksSoFar(), inForeach(graph, name))));
    return { run: summary, steps, edges: graph.order.flatMap((name) => (graph.steps[name]?.next ?? []).map((to): [string, string] => [name, to])) };
  }
  const tasks = new Map(await Promise.all((await run.steps()).map(async (step) => [step.id, await step.tasks()] as const)));
  const edges = new Map<string, [string, string]>();
  for (const [name, stepTasks] of tasks) {
    for (const parents of await Promise.all(stepTasks.map((task) => task.parentTasks))) {
      for (const parent of parents) edges.set(`${parent.stepName}>${name}`, [parent.stepName, name]);
    }
  }
  const steps = await Promise.all([...tasks].map(([name, stepTasks]) => stepSummary(name, stepTasks, false)));
  return { run: summary, steps, edges: [...edges.values()] };
}

/** True for a step a foreach runs once per item: one with a foreach among its open splits (a join's last one it closes). */
function inForeach(graph: RunGraph, name: string): boolean {
  const step = graph.steps[name];
  if (!step) return false;
  const open = step.type === 'join' ? step.splitParents.slice(0, -1) : step.splitParents;
  return open.some((split) => graph.steps[split]?.type === 'foreach');
}

async function stepSummary(name: string, tasks: Task[], foreach: boolean): Promise<StepSummary> {
  const summaries = await Promise.all(tasks.map(taskSummary));
  const counts: Record<TaskState, number> = { pending: 0, running: 0, succeeded: 0, failed: 0 };
  for (const task of summaries) counts[task.state] += 1;
  const state: TaskState = counts.failed > 0 ? 'failed' : counts.running > 0 ? 'running' : counts.pending > 0 || summaries.length === 0 ? 'pending' : 'succeeded';
  return { name, state, foreach: foreach || summaries.length > 1 || summaries.some((t) => t.index !== null), counts, tasks: summaries };
}

async function taskSummary(task: Task): Promise<TaskSummary> {
  const [attempts, finished, index, createdAt] = await Promise.all([task.attempts, task.finished, task.index, task.createdAt]);
  const last = attempts.at(-1);
  const state = taskState(attempts, finished);
  return {
    id: task.id,
    state,
    index: index ?? null,
    attempts: attempts.length,
    started: last?.startedAt ?? createdAt.getTime(),
    finished: (finished || last?.status === 'failed' ? last?.finishedAt : undefined) ?? null,
    spans: attempts.map((a) => ({ attempt: a.attempt, state: a === last ? state : earlierState(a), started: a.startedAt, finished: a.finishedAt ?? null })),
  };
}

/** An attempt followed by another ended: one still recorded as running died before it could say so. */
function earlierState(attempt: AttemptRecord): TaskState {
  return attempt.status === 'running' ? 'failed' : attempt.status;
}

/** A DONE marker is a task's truth; without one, its latest attempt says whether it runs or failed. */
function taskState(attempts: AttemptRecord[], finished: boolean): TaskState {
  if (finished) return 'succeeded';
  const last = attempts.at(-1);
  return last === undefined ? 'pending' : last.status === 'succeeded' ? 'running' : last.status;
}

/** One task: its attempts with their errors, its artifacts (once finished) and where it came from. */
export async function getTask(pathspec: string) {
  const task = new Task(pathspec);
  const [summary, attempts, finished, parents] = await Promise.all([taskSummary(task), task.attempts, task.finished, task.parentTasks]);
  const artifacts = finished ? (await task.artifacts()).map((a) => ({ name: a.id, type: a.type, size: a.size, sha: a.sha })) : [];
  return {
    pathspec: task.pathspec,
    ...summary,
    attempts: attempts.map((a) => ({ attempt: a.attempt, status: a.status, started: a.startedAt, finished: a.finishedAt ?? null, error: a.error ?? null, died: a.died ?? null })),
    parents: parents.map((p) => `${p.stepName}/${p.id}`),
    artifacts,
  };
}

export interface ArtifactTable {
  columns: string[];
  /** Each cell as text: a string as it is, anything else as JSON; '' where a record lacks the column. */
  rows: string[][];
  /** The array's length (only the first TABLE_MAX_ROWS are in `rows`). */
  total: number;
}

export interface ArtifactImage {
  type: 'image/png' | 'image/svg+xml';
  base64: string;
}

function findArtifact(pathspec: string, name: string) {
  return new Task(pathspec).artifacts().then((artifacts) => artifacts.find((a) => a.id === name));
}

/**
 * An artifact's preview, one of: a PNG or SVG `image`, a `table` of an array of records, or the value as JSON text
 * cut at PREVIEW_MAX_CHARS; not loaded at all above PREVIEW_MAX_BYTES (`tooLarge`: the page offers the download).
 */
export async function getArtifact(pathspec: string, name: string) {
  const artifact = await findArtifact(pathspec, name);
  if (!artifact) return undefined;
  const about = { name: artifact.id, type: artifact.type, size: artifact.size, limit: PREVIEW_MAX_BYTES, tooLarge: false, preview: null, truncated: false, table: null, image: null };
  if (artifact.size > PREVIEW_MAX_BYTES) return { ...about, tooLarge: true };
  const value = await artifact.data;
  const image = imageOf(value);
  if (image) return { ...about, image };
  const table = tableOf(value);
  if (table) return { ...about, table };
  const text = artifactToJson(value, 2);
  return { ...about, preview: text.slice(0, PREVIEW_MAX_CHARS), truncated: text.length > PREVIEW_MAX_CHARS };
}

/** PNG bytes (by their magic number), or an SVG document as bytes or text: shown by an <img>, which runs no script. */
function imageOf(value: unknown): ArtifactImage | null {
  if (value instanceof Uint8Array) {
    const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    if (bytes.subarray(0, PNG_MAGIC.length).equals(PNG_MAGIC)) return { type: 'image/png', base64: bytes.toString('base64') };
    return SVG_START.test(bytes.subarray(0, 1024).toString('utf8')) ? { type: 'image/svg+xml', base64: bytes.toString('base64') } : null;
  }
  return typeof value === 'string' && SVG_START.test(value.slice(0, 1024)) ? { type: 'image/svg+xml', base64: Buffer.from(value).toString('base64') } : null;
}

/** A non-empty array of plain objects whose keys make at most TABLE_MAX_COLUMNS columns. */
function tableOf(value: unknown): ArtifactTable | null {
  if (!Array.isArray(value) || value.length === 0 || !value.every(isPlainObject)) return null;
  const shown = value.slice(0, TABLE_MAX_ROWS) as Array<Record<string, unknown>>;
  const columns = [...new Set(shown.flatMap((row) => Object.keys(row)))];
  if (columns.length === 0 || columns.length > TABLE_MAX_COLUMNS) return null;
  const cell = (row: Record<string, unknown>, column: string) => (!(column in row) ? '' : typeof row[column] === 'string' ? (row[column] as string) : artifactToJson(row[column]));
  return { columns, rows: shown.map((row) => columns.map((column) => cell(row, column))), total: value.length };
}

function isPlainObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** A file the server sends as an attachment, not as JSON. */
export class Download {
  constructor(
    readonly filename: string,
    readonly type: string,
    readonly body: Buffer | string,
  ) {}
}

/** An artifact's whole value, whatever its size: a Buffer's or typed array's bytes as they are, anything else as JSON. */
export async function downloadArtifact(pathspec: string, name: string): Promise<Download | undefined> {
  const artifact = await findArtifact(pathspec, name);
  if (!artifact) return undefined;
  const value = await artifact.data;
  // Only letters, digits, '_' and '-' reach the header: no quote, slash or dot from the name.
  const file = name.replace(/[^A-Za-z0-9_-]/g, '_');
  if (ArrayBuffer.isView(value)) return new Download(`${file}.bin`, 'application/octet-stream', Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  return new Download(`${file}.json`, 'application/json; charset=utf-8', artifactToJson(value));
}

/**
 * A byte range of what an attempt printed: from `offset`, or the last `limit` bytes when no offset is given (a
 * log's tail, what a running task's page shows). Ends move back to a UTF-8 character's start.
 */
export async function getLog(pathspec: string, stream: 'stdout' | 'stderr', page: { attempt?: number; offset?: number; limit: number }) {
  const task = new Task(pathspec);
  const attempt = page.attempt ?? (await task.currentAttempt);
  const bytes = Buffer.from(await task.log(stream, attempt), 'utf8');
  const start = charStart(bytes, page.offset === undefined ? Math.max(0, bytes.length - page.limit) : Math.min(page.offset, bytes.length));
  const end = charStart(bytes, Math.min(bytes.length, start + page.limit));
  return { stream, attempt, size: bytes.length, offset: start, end, text: bytes.subarray(start, end).toString('utf8') };
}

function charStart(bytes: Buffer, at: number): number {
  let position = at;
  while (position > 0 && position < bytes.length && ((bytes[position] as number) & 0xc0) === 0x80) position -= 1;
  return position;
}
