import {
  FlowKitError,
  PathspecError,
  applyTagChange,
  validateId,
  type AttemptRecord,
  type MetadataProvider,
  type NewRun,
  type PathspecKind,
  type RunFilter,
  type RunRecord,
  type TaskFilter,
  type TaskInfo,
  type TaskRecord,
  type TaskRef,
} from '@flowkit/core/plugin';
import { LocalDataStore } from './localDataStore';

const META = '_meta';
const LOCK_WAIT_MS = 30_000;
const STALE_LOCK_MS = 10_000;

/**
 * Runs, tasks and attempts as JSON files inside the local datastore tree, so one `.flowkit/` folder
 * holds everything about a run. Ids are allocated with exclusive mkdir, safe across processes.
 */
export class LocalMetadataProvider implements MetadataProvider {
  readonly name = 'local';
  private readonly files: LocalDataStore;
  private readonly nextTaskId = new Map<string, number>();

  constructor(root: string) {
    this.files = new LocalDataStore(root);
  }

  async newRun(flowName: string, run: NewRun): Promise<RunRecord> {
    validateId('flow', flowName);
    const { runId: given, ...fields } = run;
    let runId: string;
    if (given !== undefined) {
      runId = validateId('run', given);
      if (!this.files.createExclusive(`${flowName}/${runId}`)) {
        const existing = this.read<RunRecord>(`${flowName}/${runId}/${META}/run.json`);
        if (existing) return existing;
      }
    } else {
      let next = Math.max(0, ...this.runNames(flowName).filter((name) => /^\d+$/.test(name)).map(Number)) + 1;
      while (!this.files.createExclusive(`${flowName}/${next}`)) next++;
      runId = String(next);
    }
    const record: RunRecord = { flowName, runId, createdAt: Date.now(), ...fields };
    this.write(`${flowName}/${runId}/${META}/run.json`, record);
    return record;
  }

  async newTask(ref: Omit<TaskRef, 'taskId'> & { taskId?: string }, info: TaskInfo = {}): Promise<TaskRecord> {
    const runKey = this.runKey(ref.flowName, ref.runId);
    validateId('step', ref.stepName);
    let taskId = ref.taskId;
    if (taskId === undefined) {
      let next = this.nextTaskId.get(runKey) ?? 1;
      while (!this.files.createExclusive(`${runKey}/${META}/task_ids/${next}`)) next++;
      this.nextTaskId.set(runKey, next + 1);
      taskId = String(next);
    }
    const record: TaskRecord = { flowName: ref.flowName, runId: ref.runId, stepName: ref.stepName, taskId: validateId('task', taskId), createdAt: Date.now(), ...info };
    this.write(`${this.taskKey(record)}/${META}/task.json`, record);
    return record;
  }

  async startAttempt(ref: TaskRef, attempt: number): Promise<void> {
    this.write(this.attemptKey(ref, attempt), { attempt, startedAt: Date.now(), status: 'running' } satisfies AttemptRecord);
  }

  async finishAttempt(ref: TaskRef, attempt: number, outcome: { status: 'succeeded' | 'failed'; error?: string }): Promise<void> {
    const started = this.read<AttemptRecord>(this.attemptKey(ref, attempt));
    this.write(this.attemptKey(ref, attempt), { attempt, startedAt: started?.startedAt ?? Date.now(), finishedAt: Date.now(), ...outcome } satisfies AttemptRecord);
  }

  async listFlows(): Promise<string[]> {
    return this.files
      .listSync('')
      .filter((name) => !name.startsWith('_') && isValid('flow', name))
      .filter((flow) => this.runNames(flow).some((run) => this.read(`${flow}/${run}/${META}/run.json`)))
      .sort();
  }

  async listRuns(flowName: string, filter: RunFilter = {}): Promise<RunRecord[]> {
    validateId('flow', flowName);
    return this.runNames(flowName)
      .map((run) => this.read<RunRecord>(`${flowName}/${run}/${META}/run.json`))
      .filter((run): run is RunRecord => run !== undefined)
      .filter(
        (run) =>
          (filter.tags ?? []).every((tag) => run.tags.includes(tag) || run.systemTags.includes(tag)) &&
          (filter.status === undefined || (run.status ?? 'running') === filter.status) &&
          (filter.since === undefined || run.createdAt >= filter.since) &&
          (filter.until === undefined || run.createdAt < filter.until),
      )
      .sort((a, b) => b.createdAt - a.createdAt || b.runId.localeCompare(a.runId, 'en', { numeric: true }))
      .slice(0, filter.limit);
  }

  async getRun(flowName: string, runId: string): Promise<RunRecord | undefined> {
    return this.read<RunRecord>(`${this.runKey(flowName, runId)}/${META}/run.json`);
  }

  async listSteps(flowName: string, runId: string): Promise<string[]> {
    return this.files.listSync(this.runKey(flowName, runId)).filter((name) => name !== META && isValid('step', name));
  }

  async listTasks(flowName: string, runId: string, stepName: string, filter: TaskFilter = {}): Promise<TaskRecord[]> {
    const stepKey = `${this.runKey(flowName, runId)}/${validateId('step', stepName)}`;
    const tasks = this.files
      .listSync(stepKey)
      .filter((name) => isValid('task', name))
      .map((taskId) => this.read<TaskRecord>(`${stepKey}/${taskId}/${META}/task.json`))
      .filter((task): task is TaskRecord => task !== undefined && (filter.since === undefined || task.createdAt >= filter.since))
      .sort((a, b) => Number(a.taskId) - Number(b.taskId));
    if (filter.status === undefined) return tasks.slice(0, filter.limit);
    const withStatus: TaskRecord[] = [];
    for (const task of tasks) {
      if (withStatus.length === filter.limit) break;
      const attempts = await this.listAttempts(task);
      if (attempts.at(-1)?.status === filter.status) withStatus.push({ ...task, attempts });
    }
    return withStatus;
  }

  async getTask(ref: TaskRef): Promise<TaskRecord | undefined> {
    return this.read<TaskRecord>(`${this.taskKey(ref)}/${META}/task.json`);
  }

  async listAttempts(ref: TaskRef): Promise<AttemptRecord[]> {
    const metaKey = `${this.taskKey(ref)}/${META}`;
    return this.files
      .listSync(metaKey)
      .filter((name) => /^attempt_\d+\.json$/.test(name))
      .map((name) => this.read<AttemptRecord>(`${metaKey}/${name}`))
      .filter((attempt): attempt is AttemptRecord => attempt !== undefined)
      .sort((a, b) => a.attempt - b.attempt);
  }

  async updateTags(flowName: string, runId: string, change: { add: string[]; remove: string[] }): Promise<string[]> {
    const key = `${this.runKey(flowName, runId)}/${META}/run.json`;
    return this.withLock(`${this.runKey(flowName, runId)}/${META}/run.lock`, () => {
      const run = this.read<RunRecord>(key);
      if (!run) throw new PathspecError(`Run ${flowName}/${runId} does not exist.`, { hint: 'check the run id with `flowkit status`' });
      const tags = applyTagChange(run, change);
      this.write(key, { ...run, tags });
      return tags;
    });
  }

  async finishRun(flowName: string, runId: string, status: 'succeeded' | 'failed'): Promise<void> {
    const key = `${this.runKey(flowName, runId)}/${META}/run.json`;
    await this.withLock(`${this.runKey(flowName, runId)}/${META}/run.lock`, () => {
      const run = this.read<RunRecord>(key);
      if (!run) throw new PathspecError(`Run ${flowName}/${runId} does not exist.`, { hint: 'check the run id with `flowkit status`' });
      this.write(key, { ...run, status, finishedAt: Date.now() });
    });
  }

  /** Runs `update` holding an exclusive-mkdir lock, so concurrent read-modify-writes never lose one another. */
  private async withLock<T>(lock: string, update: () => T): Promise<T> {
    const deadline = Date.now() + LOCK_WAIT_MS;
    while (!this.files.createExclusive(lock)) {
      // A holder killed mid-update leaves its lock behind; an update takes milliseconds, so an old lock is stale.
      if (this.files.releaseExclusive(lock, STALE_LOCK_MS)) continue;
      if (Date.now() > deadline) throw new FlowKitError(`Timed out waiting for the lock ${lock} in ${this.files.root}.`, { hint: 'another process holds it; retry' });
      await new Promise((resolve) => setTimeout(resolve, 2 + Math.random() * 10));
    }
    try {
      return update();
    } finally {
      this.files.releaseExclusive(lock);
    }
  }

  /** Names under a flow that may be runs (allocated numbers, or ids an orchestrator gave); a run has a run.json. */
  private runNames(flowName: string): string[] {
    return this.files.listSync(flowName).filter((name) => isValid('run', name));
  }

  private runKey(flowName: string, runId: string): string {
    return `${validateId('flow', flowName)}/${validateId('run', runId)}`;
  }

  private taskKey(ref: TaskRef): string {
    return `${this.runKey(ref.flowName, ref.runId)}/${validateId('step', ref.stepName)}/${validateId('task', ref.taskId)}`;
  }

  private attemptKey(ref: TaskRef, attempt: number): string {
    return `${this.taskKey(ref)}/${META}/attempt_${attempt}.json`;
  }

  private read<T>(key: string): T | undefined {
    const data = this.files.getSync(key);
    return data === undefined ? undefined : (JSON.parse(data.toString('utf8')) as T);
  }

  private write(key: string, record: object): void {
    this.files.putSync(key, Buffer.from(JSON.stringify(record)));
  }
}

function isValid(kind: PathspecKind, name: string): boolean {
  try {
    validateId(kind, name);
    return true;
  } catch {
    return false;
  }
}
