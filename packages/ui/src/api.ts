import { artifactToJson } from '@flowkit/core/internal';
import type { AttemptRecord, RunRecord } from '@flowkit/core/plugin';
import { Flow, Metaflow, Run, Step, Task } from '@flowkit/client';

/** Artifacts above this serialized size are not loaded for a preview. */
export const PREVIEW_MAX_BYTES = 1024 * 1024;
/** A preview's text is cut here. */
export const PREVIEW_MAX_CHARS = 100_000;
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

export interface TaskSummary {
  id: string;
  state: TaskState;
  index: number | null;
  attempts: number;
  started: number;
  finished: number | null;
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
 * A run with its steps, their tasks' states, and the edges between steps as the tasks' inputs record them
 * (the client keeps no graph per run, so a step shows up once its first task exists).
 */
export async function getRun(flowName: string, runId: string): Promise<{ run: RunSummary; steps: StepSummary[]; edges: Array<[string, string]> }> {
  const run = new Run(`${flowName}/${runId}`);
  const summary = await runSummary(run);
  const edges = new Map<string, [string, string]>();
  const steps = await Promise.all(
    (await run.steps()).map(async (step) => {
      const tasks = await step.tasks();
      for (const parents of await Promise.all(tasks.map((task) => task.parentTasks))) {
        for (const parent of parents) edges.set(`${parent.stepName}>${step.id}`, [parent.stepName, step.id]);
      }
      return stepSummary(step, tasks);
    }),
  );
  return { run: summary, steps, edges: [...edges.values()] };
}

async function stepSummary(step: Step, tasks: Task[]): Promise<StepSummary> {
  const summaries = await Promise.all(tasks.map(taskSummary));
  const counts: Record<TaskState, number> = { pending: 0, running: 0, succeeded: 0, failed: 0 };
  for (const task of summaries) counts[task.state] += 1;
  const state: TaskState = counts.failed > 0 ? 'failed' : counts.running > 0 ? 'running' : counts.pending > 0 ? 'pending' : 'succeeded';
  return { name: step.id, state, foreach: summaries.length > 1 || summaries.some((t) => t.index !== null), counts, tasks: summaries };
}

async function taskSummary(task: Task): Promise<TaskSummary> {
  const [attempts, finished, index, createdAt] = await Promise.all([task.attempts, task.finished, task.index, task.createdAt]);
  const last = attempts.at(-1);
  return {
    id: task.id,
    state: taskState(attempts, finished),
    index: index ?? null,
    attempts: attempts.length,
    started: last?.startedAt ?? createdAt.getTime(),
    finished: (finished || last?.status === 'failed' ? last?.finishedAt : undefined) ?? null,
  };
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

/** An artifact's value as JSON text, cut at PREVIEW_MAX_CHARS; not loaded at all above PREVIEW_MAX_BYTES. */
export async function getArtifact(pathspec: string, name: string) {
  const artifact = (await new Task(pathspec).artifacts()).find((a) => a.id === name);
  if (!artifact) return undefined;
  const about = { name: artifact.id, type: artifact.type, size: artifact.size };
  if (artifact.size > PREVIEW_MAX_BYTES) return { ...about, tooLarge: true, limit: PREVIEW_MAX_BYTES, preview: null, truncated: false };
  const text = artifactToJson(await artifact.data, 2);
  return { ...about, tooLarge: false, limit: PREVIEW_MAX_BYTES, preview: text.slice(0, PREVIEW_MAX_CHARS), truncated: text.length > PREVIEW_MAX_CHARS };
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
