import {
  FlowKitError,
  GRAPH_STEP,
  PathspecError,
  parsePathspec,
  validateTags,
  type ArtifactRef,
  type AttemptData,
  type AttemptRecord,
  type RunGraph,
  type RunRecord,
  type TaskRecord,
  type TaskRef,
} from '@flowkit/core/plugin';
import { clientContext } from './context';
import { checkNamespace, getNamespace } from './namespace';

/** Artifacts of a run or task: `await run.data.x` loads `x` (once per process), typed by the flow class. */
export type DataAccessor<F> = { readonly [K in keyof F]: Promise<F[K]> } & { readonly [name: string]: Promise<unknown> };

/** Blobs never change, so a value loaded once serves the whole process. */
const loaded = new Map<string, Promise<unknown>>();

function loadValue(flowName: string, ref: ArtifactRef): Promise<unknown> {
  const key = `${flowName}/${ref.sha}`;
  if (!loaded.has(key)) loaded.set(key, clientContext().store(flowName).loadValue(ref));
  return loaded.get(key) as Promise<unknown>;
}

function parts(pathspec: string, depth: number, example: string): string[] {
  const parsed = parsePathspec(pathspec);
  const found = [parsed.flow, parsed.run, parsed.step, parsed.task].filter((p): p is string => p !== undefined);
  if (found.length !== depth) throw new PathspecError(`'${pathspec}' is not a ${example.split('/').length}-part pathspec.`, { hint: `write it as ${example}` });
  return found;
}

function dataAccessor<F>(owner: string, artifacts: () => Promise<{ flowName: string; refs: Record<string, ArtifactRef> }>): DataAccessor<F> {
  return new Proxy({} as DataAccessor<F>, {
    get(_target, name) {
      // Not thenable: `await run.data` must not look like a promise.
      if (typeof name !== 'string' || name === 'then') return undefined;
      return artifacts().then(({ flowName, refs }) => {
        const ref = refs[name];
        if (!ref) throw new FlowKitError(`${owner} has no artifact '${name}'.`, { hint: `its artifacts: ${Object.keys(refs).sort().join(', ') || 'none'}` });
        return loadValue(flowName, ref);
      });
    },
  });
}

/** All flows in the datastore, in the current namespace. */
export class Metaflow {
  async flows(): Promise<Flow[]> {
    const names = await clientContext().metadata.listFlows();
    const flows: Flow[] = [];
    for (const name of names) if ((await new Flow(name).runs()).length > 0) flows.push(new Flow(name));
    return flows;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Flow> {
    yield* await this.flows();
  }
}

export class Flow<F = Record<string, unknown>> {
  readonly id: string;
  readonly pathspec: string;

  constructor(pathspec: string) {
    [this.id] = parts(pathspec, 1, 'FlowName') as [string];
    this.pathspec = this.id;
  }

  /** Runs in the current namespace, newest first; with tags, only runs carrying all of them. */
  async runs(options: { tags?: string[]; limit?: number } = {}): Promise<Array<Run<F>>> {
    // The namespace is a tag too, so the provider filters (a service, in its database) and sends only matches.
    const ns = getNamespace();
    const tags = [...(options.tags ?? []), ...(ns === null ? [] : [ns])];
    const records = await clientContext().metadata.listRuns(this.id, { tags, limit: options.limit });
    return records.map((r) => new Run<F>(`${this.id}/${r.runId}`, r));
  }

  /** The newest run in the current namespace. */
  async latestRun(): Promise<Run<F>> {
    const [latest] = await this.runs({ limit: 1 });
    if (!latest) throw this.none('run');
    return latest;
  }

  /** The newest run whose end step finished. */
  async latestSuccessfulRun(): Promise<Run<F>> {
    for (const run of await this.runs()) if (await run.successful) return run;
    throw this.none('successful run');
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Run<F>> {
    yield* await this.runs();
  }

  private none(what: string): FlowKitError {
    const ns = getNamespace();
    return new FlowKitError(`${this.id} has no ${what}${ns === null ? '' : ` in namespace '${ns}'`}.`, { hint: ns === null ? 'run the flow first' : 'run it, or read across namespaces with namespace(null)' });
  }
}

export class Run<F = Record<string, unknown>> {
  readonly id: string;
  readonly flowName: string;
  readonly pathspec: string;
  private recordPromise?: Promise<RunRecord>;

  constructor(pathspec: string, record?: RunRecord) {
    [this.flowName, this.id] = parts(pathspec, 2, 'FlowName/runId') as [string, string];
    this.pathspec = `${this.flowName}/${this.id}`;
    if (record) this.recordPromise = Promise.resolve(record);
  }

  get parent(): Flow<F> {
    return new Flow<F>(this.flowName);
  }

  /** The run's record, checked against the namespace. */
  record(): Promise<RunRecord> {
    this.recordPromise ??= clientContext()
      .metadata.getRun(this.flowName, this.id)
      .then((run) => {
        if (!run) throw new PathspecError(`Run ${this.pathspec} does not exist.`, { hint: `list runs with \`flowkit list runs ${this.flowName}\`` });
        checkNamespace(this.pathspec, [...run.tags, ...run.systemTags]);
        return run;
      });
    return this.recordPromise;
  }

  get createdAt(): Promise<Date> {
    return this.record().then((r) => new Date(r.createdAt));
  }

  get tags(): Promise<string[]> {
    return this.record().then((r) => [...r.tags]);
  }

  get systemTags(): Promise<string[]> {
    return this.record().then((r) => [...r.systemTags]);
  }

  get originRunId(): Promise<string | undefined> {
    return this.record().then((r) => r.originRunId);
  }

  /** For a resumed run: the run it resumed. */
  get originPathspec(): Promise<string | undefined> {
    return this.originRunId.then((id) => (id === undefined ? undefined : `${this.flowName}/${id}`));
  }

  step(name: string): Step<F> {
    return new Step<F>(`${this.pathspec}/${name}`);
  }

  /** Steps that ran, in the order their first task was created (`_parameters` left out). */
  async steps(): Promise<Array<Step<F>>> {
    await this.record();
    const names = (await clientContext().metadata.listSteps(this.flowName, this.id)).filter((n) => !n.startsWith('_'));
    const firstTask = await Promise.all(names.map(async (n) => (await clientContext().metadata.listTasks(this.flowName, this.id, n))[0]?.createdAt ?? Infinity));
    return names.map((n, i) => ({ n, t: firstTask[i] as number })).sort((a, b) => a.t - b.t).map(({ n }) => this.step(n));
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Step<F>> {
    yield* await this.steps();
  }

  /** The graph the run ran with (every step, run or not); undefined for runs recorded before FlowKit kept it. */
  get graph(): Promise<RunGraph | undefined> {
    return (async () => {
      await this.record();
      const store = clientContext().store(this.flowName);
      const latest = await store.readLatest({ flowName: this.flowName, runId: this.id, stepName: GRAPH_STEP, taskId: '0' });
      return latest?.data.artifacts.graph ? ((await store.loadValue(latest.data.artifacts.graph)) as RunGraph) : undefined;
    })();
  }

  /** The task of the end step, once it exists. */
  get endTask(): Promise<Task<F> | undefined> {
    return this.step('end').tasksSoFar().then((tasks) => tasks[0]);
  }

  get finished(): Promise<boolean> {
    return this.endTask.then((t) => (t ? t.finished : false));
  }

  get successful(): Promise<boolean> {
    return this.endTask.then((t) => (t ? t.successful : false));
  }

  get finishedAt(): Promise<Date | undefined> {
    return this.endTask.then((t) => t?.finishedAt);
  }

  /** The artifacts as the end step left them. */
  get data(): DataAccessor<F> {
    return dataAccessor<F>(`Run ${this.pathspec}`, async () => {
      const end = await this.endTask;
      if (!end || !(await end.finished)) throw new FlowKitError(`Run ${this.pathspec} has not finished, so it has no final data.`, { hint: "read a step's task instead: run.step('name').task" });
      return end.artifactRefs();
    });
  }

  /** Adds user tags; a tag that is already a system tag is not added again. */
  async addTags(...tags: string[]): Promise<string[]> {
    return this.updateTags([], tags);
  }

  /** Removes user tags; system tags cannot be removed (then nothing is removed). */
  async removeTags(...tags: string[]): Promise<string[]> {
    return this.updateTags(tags, []);
  }

  /** Removes some user tags, then adds others, in one atomic update. */
  async replaceTags(remove: string[], add: string[]): Promise<string[]> {
    return this.updateTags(remove, add);
  }

  private async updateTags(remove: string[], add: string[]): Promise<string[]> {
    validateTags([...remove, ...add]);
    const record = await this.record();
    const system = remove.filter((t) => record.systemTags.includes(t));
    if (system.length > 0) throw new FlowKitError(`${system.join(', ')} ${system.length === 1 ? 'is a system tag' : 'are system tags'} of ${this.pathspec} and cannot be removed.`, { hint: 'only tags added by users can be removed' });
    const saved = await clientContext().metadata.updateTags(this.flowName, this.id, { add, remove });
    this.recordPromise = Promise.resolve({ ...record, tags: saved });
    return saved;
  }
}

export class Step<F = Record<string, unknown>> {
  readonly id: string;
  readonly flowName: string;
  readonly runId: string;
  readonly pathspec: string;

  constructor(pathspec: string) {
    [this.flowName, this.runId, this.id] = parts(pathspec, 3, 'FlowName/runId/step') as [string, string, string];
    this.pathspec = `${this.flowName}/${this.runId}/${this.id}`;
  }

  get parent(): Run<F> {
    return new Run<F>(`${this.flowName}/${this.runId}`);
  }

  /** The step's tasks, in creation order (foreach tasks by index); a step without any did not run: an error. */
  async tasks(): Promise<Array<Task<F>>> {
    const tasks = await this.tasksSoFar();
    if (tasks.length > 0) return tasks;
    const steps = await this.parent.steps();
    throw new PathspecError(`Step ${this.pathspec} does not exist: run ${this.runId} has no task of step '${this.id}'.`, {
      hint: `its steps: ${steps.map((step) => step.id).join(', ') || 'none yet'}`,
    });
  }

  /** @internal The tasks created so far, none when the step has not started (yet). */
  async tasksSoFar(): Promise<Array<Task<F>>> {
    await this.parent.record();
    const records = await clientContext().metadata.listTasks(this.flowName, this.runId, this.id);
    return records.map((r) => new Task<F>(`${this.pathspec}/${r.taskId}`, r));
  }

  /** For a step of a resumed run: the same step in the run it resumed. */
  get originPathspec(): Promise<string | undefined> {
    return this.parent.originPathspec.then((run) => (run === undefined ? undefined : `${run}/${this.id}`));
  }

  /** The first task (the only one, outside a foreach). */
  get task(): Promise<Task<F>> {
    return this.tasks().then((tasks) => tasks[0] as Task<F>);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Task<F>> {
    yield* await this.tasks();
  }
}

interface TaskState {
  record: TaskRecord;
  attempts: AttemptRecord[];
  done?: { attempt: number; data: AttemptData };
}

export class Task<F = Record<string, unknown>> {
  readonly id: string;
  readonly flowName: string;
  readonly runId: string;
  readonly stepName: string;
  readonly pathspec: string;
  private statePromise?: Promise<TaskState>;
  private readonly known?: TaskRecord;

  constructor(pathspec: string, record?: TaskRecord) {
    [this.flowName, this.runId, this.stepName, this.id] = parts(pathspec, 4, 'FlowName/runId/step/taskId') as [string, string, string, string];
    this.pathspec = `${this.flowName}/${this.runId}/${this.stepName}/${this.id}`;
    this.known = record;
  }

  get parent(): Step<F> {
    return new Step<F>(`${this.flowName}/${this.runId}/${this.stepName}`);
  }

  private get ref(): TaskRef {
    return { flowName: this.flowName, runId: this.runId, stepName: this.stepName, taskId: this.id };
  }

  private state(): Promise<TaskState> {
    this.statePromise ??= (async () => {
      await this.parent.parent.record();
      const { metadata, store } = { metadata: clientContext().metadata, store: clientContext().store(this.flowName) };
      const record = this.known ?? (await metadata.getTask(this.ref));
      if (!record) throw new PathspecError(`Task ${this.pathspec} does not exist.`, { hint: 'list tasks with `flowkit dump <flow> <run>/<step>`' });
      const [attempts, done] = await Promise.all([record.attempts ?? metadata.listAttempts(this.ref), store.readLatest(this.ref)]);
      return { record, attempts, done };
    })();
    return this.statePromise;
  }

  /** Position in the innermost foreach, or undefined outside one. */
  get index(): Promise<number | undefined> {
    return this.state().then((s) => s.done?.data.foreachStack.at(-1)?.index ?? s.record.foreachIndices?.at(-1));
  }

  get createdAt(): Promise<Date> {
    return this.state().then((s) => new Date(s.record.createdAt));
  }

  /** True once an attempt finished (its DONE marker is written). */
  get finished(): Promise<boolean> {
    return this.state().then((s) => s.done !== undefined);
  }

  get successful(): Promise<boolean> {
    return this.finished;
  }

  get finishedAt(): Promise<Date | undefined> {
    return this.state().then((s) => {
      const attempt = s.attempts.find((a) => a.attempt === s.done?.attempt);
      return attempt?.finishedAt === undefined ? undefined : new Date(attempt.finishedAt);
    });
  }

  /** The latest attempt that started (the one whose logs and exception these are). */
  get currentAttempt(): Promise<number> {
    return this.state().then((s) => s.done?.attempt ?? s.attempts.at(-1)?.attempt ?? 0);
  }

  get attempts(): Promise<AttemptRecord[]> {
    return this.state().then((s) => s.attempts);
  }

  /** For a task cloned by resume: the task it was cloned from. */
  get originPathspec(): Promise<string | undefined> {
    return this.state().then((s) => (s.record.clonedFrom === undefined ? undefined : `${this.flowName}/${s.record.clonedFrom}`));
  }

  /** The tasks this one started from (one, or a join's inputs). */
  get parentTasks(): Promise<Array<Task<F>>> {
    return this.state().then((s) => (s.record.inputPaths ?? []).filter((p) => !p.startsWith('_')).map((p) => new Task<F>(`${this.flowName}/${this.runId}/${p}`)));
  }

  /** The tasks that started from this one. */
  get childTasks(): Promise<Array<Task<F>>> {
    return (async () => {
      const path = `${this.stepName}/${this.id}`;
      const { metadata } = clientContext();
      const steps = await metadata.listSteps(this.flowName, this.runId);
      const records = (await Promise.all(steps.map((step) => metadata.listTasks(this.flowName, this.runId, step)))).flat();
      return records.filter((r) => r.inputPaths?.includes(path)).map((r) => new Task<F>(`${this.flowName}/${this.runId}/${r.stepName}/${r.taskId}`, r));
    })();
  }

  /** Why the task's latest attempt failed, or undefined when it did not. */
  get exception(): Promise<{ type: string; message: string } | undefined> {
    return this.state().then((s) => {
      if (s.done) return undefined;
      const failed = [...s.attempts].reverse().find((a) => a.status === 'failed');
      if (!failed?.error) return undefined;
      const match = /^([A-Za-z_$][\w$]*): ([\s\S]*)$/.exec(failed.error);
      return match ? { type: match[1] as string, message: match[2] as string } : { type: 'Error', message: failed.error };
    });
  }

  get stdout(): Promise<string> {
    return this.log('stdout');
  }

  get stderr(): Promise<string> {
    return this.log('stderr');
  }

  /** What the latest (or the given) attempt printed; an attempt that never started is an error. */
  async log(stream: 'stdout' | 'stderr', attempt?: number): Promise<string> {
    const { attempts } = await this.state();
    if (attempt !== undefined && !attempts.some((a) => a.attempt === attempt)) {
      throw new PathspecError(`Task ${this.pathspec} has no attempt ${attempt}.`, { hint: `its attempts: ${attempts.map((a) => a.attempt).join(', ') || 'none yet'}` });
    }
    const chosen = attempt ?? (await this.currentAttempt);
    const data = await clientContext().store(this.flowName).loadLog(this.ref, chosen, stream);
    return data?.toString('utf8') ?? '';
  }

  /** @internal The artifact index of the latest finished attempt. */
  async artifactRefs(): Promise<{ flowName: string; refs: Record<string, ArtifactRef> }> {
    const { done } = await this.state();
    if (!done) throw new FlowKitError(`Task ${this.pathspec} did not finish, so it stored no artifacts.`, { hint: 'look at its stderr and exception' });
    return { flowName: this.flowName, refs: done.data.artifacts };
  }

  get data(): DataAccessor<F> {
    return dataAccessor<F>(`Task ${this.pathspec}`, () => this.artifactRefs());
  }

  async artifacts(): Promise<DataArtifact[]> {
    const { refs } = await this.artifactRefs();
    return Object.entries(refs)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, ref]) => new DataArtifact(this, name, ref));
  }

  async *[Symbol.asyncIterator](): AsyncIterator<DataArtifact> {
    yield* await this.artifacts();
  }
}

export class DataArtifact {
  readonly pathspec: string;

  constructor(
    readonly parent: Task,
    readonly id: string,
    private readonly ref: ArtifactRef,
  ) {
    this.pathspec = `${parent.pathspec}/${id}`;
  }

  get sha(): string {
    return this.ref.sha;
  }

  get type(): string {
    return this.ref.type;
  }

  /** Serialized size in bytes. */
  get size(): number {
    return this.ref.size;
  }

  get data(): Promise<unknown> {
    return loadValue(this.parent.flowName, this.ref);
  }
}
