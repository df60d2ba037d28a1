import { applyTagChange, type ArtifactRef, type AttemptOutcome, type AttemptRecord, type AttemptStatus, type NewRun, type RunRecord, type RunStatus, type TaskInfo, type TaskRef } from '@flowkit/core/plugin';
import { types, type Pool, type PoolClient } from 'pg';
import { HttpError, badRequest, cursorOf, encodeCursor } from './validate';
import type { Page, ServiceTask } from './wire';

/** The key a task id sorts by: its number when it is one, else after every number. */
const NON_NUMERIC_ORDER = Number.MAX_SAFE_INTEGER;

/** bigint columns hold milliseconds and counters, all far below 2^53: read them as numbers. */
export const poolTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === types.builtins.INT8 ? Number : types.getTypeParser(oid, format ?? 'text'))) as typeof types.getTypeParser,
};

export interface RunQuery {
  tags?: string[];
  status?: RunStatus;
  since?: number;
  until?: number;
}

export interface TaskQuery {
  status?: AttemptStatus;
  since?: number;
}

interface RunRow {
  flow_name: string;
  run_id: string;
  run_number: number;
  user_name: string;
  created_at: number;
  tags: string[];
  system_tags: string[];
  origin_run_id: string | null;
  status: RunStatus;
  finished_at: number | null;
}

interface TaskRow {
  flow_name: string;
  run_id: string;
  step_name: string;
  task_id: string;
  task_order: number;
  created_at: number;
  foreach_indices: number[] | null;
  cloned_from: string | null;
  input_paths: string[] | null;
  status: AttemptStatus | null;
  current_attempt: number | null;
  started_at: number | null;
  finished_at: number | null;
}

interface AttemptRow {
  task_id: string;
  attempt: number;
  status: AttemptStatus;
  started_at: number;
  finished_at: number | null;
  error: string | null;
  died: string | null;
}

const RUN_COLUMNS = 'flow_name, run_id, run_number, user_name, created_at, tags, system_tags, origin_run_id, status, finished_at';
const TASK_COLUMNS = 'flow_name, run_id, step_name, task_id, task_order, created_at, foreach_indices, cloned_from, input_paths, status, current_attempt, started_at, finished_at';
const ATTEMPT_COLUMNS = 'task_id, attempt, status, started_at, finished_at, error, died';
const TASK_KEY = 'flow_name = $1 AND run_id = $2 AND step_name = $3 AND task_id = $4';

function runRecord(row: RunRow): RunRecord {
  return {
    flowName: row.flow_name,
    runId: row.run_id,
    user: row.user_name,
    createdAt: row.created_at,
    tags: row.tags,
    systemTags: row.system_tags,
    ...(row.origin_run_id === null ? {} : { originRunId: row.origin_run_id }),
    status: row.status,
    ...(row.finished_at === null ? {} : { finishedAt: row.finished_at }),
  };
}

function taskRecord(row: TaskRow, attempts?: AttemptRecord[]): ServiceTask {
  return {
    flowName: row.flow_name,
    runId: row.run_id,
    stepName: row.step_name,
    taskId: row.task_id,
    createdAt: row.created_at,
    ...(row.foreach_indices === null ? {} : { foreachIndices: row.foreach_indices }),
    ...(row.cloned_from === null ? {} : { clonedFrom: row.cloned_from }),
    ...(row.input_paths === null ? {} : { inputPaths: row.input_paths }),
    ...(row.status === null ? {} : { status: row.status }),
    ...(row.current_attempt === null ? {} : { currentAttempt: row.current_attempt }),
    ...(row.started_at === null ? {} : { startedAt: row.started_at }),
    ...(row.finished_at === null ? {} : { finishedAt: row.finished_at }),
    ...(attempts ? { attempts } : {}),
  };
}

function attemptRecord(row: AttemptRow): AttemptRecord {
  return {
    attempt: row.attempt,
    startedAt: row.started_at,
    status: row.status,
    ...(row.finished_at === null ? {} : { finishedAt: row.finished_at }),
    ...(row.error === null ? {} : { error: row.error }),
    ...(row.died === null ? {} : { died: row.died }),
  };
}

/** A page from `limit + 1` rows: the extra row only says there is a next page. */
function page<R, T>(rows: R[], limit: number, item: (row: R) => T, key: (row: R) => unknown[]): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  return { items: kept.map(item), next: more ? encodeCursor(key(kept[kept.length - 1] as R)) : null };
}

/** SQL conditions with numbered parameters: values only ever travel as parameters. */
class Conditions {
  readonly clauses: string[] = [];
  constructor(readonly values: unknown[]) {}

  add(clause: (placeholder: () => string) => string, ...values: unknown[]): void {
    let next = 0;
    this.clauses.push(
      clause(() => {
        this.values.push(values[next++]);
        return `$${this.values.length}`;
      }),
    );
  }

  get sql(): string {
    return this.clauses.join(' AND ');
  }
}

function taskNotFound(ref: TaskRef): HttpError {
  return new HttpError(404, 'not_found', `Task ${ref.flowName}/${ref.runId}/${ref.stepName}/${ref.taskId} does not exist.`, 'create it first: POST .../steps/<step>/tasks');
}

function isForeignKeyViolation(error: unknown): boolean {
  return (error as { code?: string }).code === '23503';
}

/** Every query the service runs. Records are FlowKit's own types from @flowkit/core. */
export class MetadataDatabase {
  constructor(private readonly pool: Pool) {}

  async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /**
   * Runs a create at most once per client-chosen request id: a retry of a request whose answer was lost
   * gets the first answer back instead of creating again. A concurrent duplicate waits on the id's row.
   */
  async once<T>(kind: string, requestId: string | undefined, create: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.transaction(async (client) => {
      const key = `${kind}:${requestId}`;
      if (requestId !== undefined) {
        const claimed = await client.query('INSERT INTO requests (request_id, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING', [key, Date.now()]);
        if (claimed.rowCount === 0) {
          const { rows } = await client.query<{ response: T }>('SELECT response FROM requests WHERE request_id = $1', [key]);
          return (rows[0] as { response: T }).response;
        }
      }
      const result = await create(client);
      if (requestId !== undefined) await client.query('UPDATE requests SET response = $2 WHERE request_id = $1', [key, JSON.stringify(result)]);
      return result;
    });
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  /**
   * A new run numbered 1, 2, 3... per flow; its id is that number unless an orchestrator gave one (then idempotent).
   * An orchestrator's run has no scheduler to send its heartbeats (last_heartbeat NULL): the reaper leaves it alone,
   * while its tasks, which send their own, are reaped as any others.
   */
  newRun(flowName: string, run: NewRun, requestId?: string): Promise<RunRecord> {
    return this.once('run', requestId, async (client) => {
      const now = Date.now();
      // One row per flow numbers its runs 1, 2, 3...; its row lock orders concurrent creations.
      const { rows } = await client.query<{ last_run_number: number }>(
        `INSERT INTO flows (flow_name, created_at, last_run_number) VALUES ($1, $2, 1)
         ON CONFLICT (flow_name) DO UPDATE SET last_run_number = flows.last_run_number + 1 RETURNING last_run_number`,
        [flowName, now],
      );
      const number = (rows[0] as { last_run_number: number }).last_run_number;
      const created = await client.query<RunRow>(
        `INSERT INTO runs (flow_name, run_id, run_number, user_name, created_at, tags, system_tags, origin_run_id, status, last_heartbeat)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'running', $9) ON CONFLICT DO NOTHING RETURNING ${RUN_COLUMNS}`,
        [flowName, run.runId ?? String(number), number, run.user, now, run.tags, run.systemTags, run.originRunId ?? null, run.runId === undefined ? now : null],
      );
      if (created.rows[0]) return runRecord(created.rows[0]);
      const existing = await client.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs WHERE flow_name = $1 AND run_id = $2`, [flowName, run.runId]);
      return runRecord(existing.rows[0] as RunRow);
    });
  }

  async getRun(flowName: string, runId: string): Promise<RunRecord | undefined> {
    const { rows } = await this.pool.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs WHERE flow_name = $1 AND run_id = $2`, [flowName, runId]);
    return rows[0] && runRecord(rows[0]);
  }

  async listFlows(limit: number, cursor?: unknown[]): Promise<Page<{ flowName: string; createdAt: number }>> {
    const where = new Conditions([]);
    if (cursor) where.add((p) => `flow_name > ${p()}`, ...cursorOf(cursor, ['string']));
    const { rows } = await this.pool.query<{ flow_name: string; created_at: number }>(
      `SELECT flow_name, created_at FROM flows ${where.clauses.length ? `WHERE ${where.sql}` : ''} ORDER BY flow_name LIMIT ${limit + 1}`,
      where.values,
    );
    return page(rows, limit, (r) => ({ flowName: r.flow_name, createdAt: r.created_at }), (r) => [r.flow_name]);
  }

  /** Newest first; filtered and paged in the database. */
  async listRuns(flowName: string, query: RunQuery, limit: number, cursor?: unknown[]): Promise<Page<RunRecord>> {
    const where = new Conditions([flowName]);
    where.clauses.push('flow_name = $1');
    if (query.tags && query.tags.length > 0) where.add((p) => `(tags || system_tags) @> ${p()}::text[]`, query.tags);
    if (query.status) where.add((p) => `status = ${p()}`, query.status);
    if (query.since !== undefined) where.add((p) => `created_at >= ${p()}`, query.since);
    if (query.until !== undefined) where.add((p) => `created_at < ${p()}`, query.until);
    if (cursor) where.add((p) => `(created_at, run_number) < (${p()}, ${p()})`, ...cursorOf(cursor, ['number', 'number']));
    const { rows } = await this.pool.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs WHERE ${where.sql} ORDER BY created_at DESC, run_number DESC LIMIT ${limit + 1}`, where.values);
    return page(rows, limit, runRecord, (r) => [r.created_at, r.run_number]);
  }

  async finishRun(flowName: string, runId: string, status: 'succeeded' | 'failed'): Promise<void> {
    const result = await this.pool.query('UPDATE runs SET status = $3, finished_at = $4 WHERE flow_name = $1 AND run_id = $2', [flowName, runId, status, Date.now()]);
    if (result.rowCount === 0) throw runNotFound(flowName, runId);
  }

  updateTags(flowName: string, runId: string, change: { add: string[]; remove: string[] }, requestId?: string): Promise<{ tags: string[] }> {
    return this.once('tags', requestId, async (client) => {
      const { rows } = await client.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs WHERE flow_name = $1 AND run_id = $2 FOR UPDATE`, [flowName, runId]);
      const row = rows[0];
      if (!row) throw runNotFound(flowName, runId);
      const system = change.remove.filter((t) => row.system_tags.includes(t));
      if (system.length > 0) throw badRequest(`${system.join(', ')} ${system.length === 1 ? 'is a system tag' : 'are system tags'} of ${flowName}/${runId} and cannot be removed.`, 'only tags added by users can be removed');
      const tags = applyTagChange({ tags: row.tags, systemTags: row.system_tags }, change);
      await client.query('UPDATE runs SET tags = $3 WHERE flow_name = $1 AND run_id = $2', [flowName, runId, tags]);
      return { tags };
    });
  }

  /** The run's scheduler is alive, and so are these of its tasks (an orchestrator's run stays without a heartbeat of its own). */
  async heartbeat(flowName: string, runId: string, tasks: Array<{ stepName: string; taskId: string }>): Promise<void> {
    const now = Date.now();
    const run = await this.pool.query('UPDATE runs SET last_heartbeat = CASE WHEN last_heartbeat IS NULL THEN NULL ELSE $3::bigint END WHERE flow_name = $1 AND run_id = $2', [flowName, runId, now]);
    if (run.rowCount === 0) throw runNotFound(flowName, runId);
    if (tasks.length === 0) return;
    await this.pool.query(
      `UPDATE tasks SET last_heartbeat = $3 WHERE flow_name = $1 AND run_id = $2 AND status = 'running'
       AND (step_name, task_id) IN (SELECT * FROM unnest($4::text[], $5::text[]))`,
      [flowName, runId, now, tasks.map((t) => t.stepName), tasks.map((t) => t.taskId)],
    );
  }

  /**
   * One statement: the run must exist, the id is the given one or the next of one sequence shared by all
   * runs (no lock shared by a run's concurrent creations). A create repeated with the same request id, or
   * with a given id that exists (the `_parameters` task of a retried start), returns the first task.
   */
  async newTask(ref: Omit<TaskRef, 'taskId'> & { taskId?: string }, info: TaskInfo, requestId?: string): Promise<ServiceTask> {
    const created = await this.pool.query<TaskRow>(
      `WITH run AS (SELECT 1 FROM runs WHERE flow_name = $1 AND run_id = $2),
            chosen AS (SELECT coalesce($4::text, nextval('task_numbers')::text) AS id)
       INSERT INTO tasks (flow_name, run_id, step_name, task_id, task_order, created_at, foreach_indices, cloned_from, input_paths, request_id)
       SELECT $1, $2, $3, id, CASE WHEN id ~ '^[0-9]{1,15}$' THEN id::bigint ELSE ${NON_NUMERIC_ORDER} END, $5, $6, $7, $8, $9 FROM run, chosen
       ON CONFLICT DO NOTHING RETURNING ${TASK_COLUMNS}`,
      [ref.flowName, ref.runId, ref.stepName, ref.taskId ?? null, Date.now(), info.foreachIndices ?? null, info.clonedFrom ?? null, info.inputPaths ?? null, requestId ?? null],
    );
    if (created.rows[0]) return taskRecord(created.rows[0]);
    const { rows } = await this.pool.query<TaskRow>(
      `SELECT ${TASK_COLUMNS} FROM tasks WHERE request_id = $5 OR (${TASK_KEY})`,
      [ref.flowName, ref.runId, ref.stepName, ref.taskId ?? null, requestId ?? null],
    );
    if (!rows[0]) throw runNotFound(ref.flowName, ref.runId);
    return taskRecord(rows[0]);
  }

  async getTask(ref: TaskRef): Promise<ServiceTask | undefined> {
    const { rows } = await this.pool.query<TaskRow>(`SELECT ${TASK_COLUMNS} FROM tasks WHERE ${TASK_KEY}`, [ref.flowName, ref.runId, ref.stepName, ref.taskId]);
    if (!rows[0]) return undefined;
    return taskRecord(rows[0], await this.listAttempts(ref));
  }

  async listSteps(flowName: string, runId: string, limit: number, cursor?: unknown[]): Promise<Page<{ stepName: string; createdAt: number }>> {
    const where = new Conditions([flowName, runId]);
    where.clauses.push('flow_name = $1 AND run_id = $2');
    if (cursor) where.add((p) => `step_name > ${p()}`, ...cursorOf(cursor, ['string']));
    const { rows } = await this.pool.query<{ step_name: string; created_at: number }>(
      `SELECT step_name, min(created_at) AS created_at FROM tasks WHERE ${where.sql} GROUP BY step_name ORDER BY step_name LIMIT ${limit + 1}`,
      where.values,
    );
    return page(rows, limit, (r) => ({ stepName: r.step_name, createdAt: r.created_at }), (r) => [r.step_name]);
  }

  /** In task id order, each task with its attempts (two queries per page, never one per task). */
  async listTasks(flowName: string, runId: string, stepName: string, query: TaskQuery, limit: number, cursor?: unknown[]): Promise<Page<ServiceTask>> {
    const where = new Conditions([flowName, runId, stepName]);
    where.clauses.push('flow_name = $1 AND run_id = $2 AND step_name = $3');
    if (query.status) where.add((p) => `status = ${p()}`, query.status);
    if (query.since !== undefined) where.add((p) => `created_at >= ${p()}`, query.since);
    if (cursor) where.add((p) => `(task_order, task_id) > (${p()}, ${p()})`, ...cursorOf(cursor, ['number', 'string']));
    const { rows } = await this.pool.query<TaskRow>(`SELECT ${TASK_COLUMNS} FROM tasks WHERE ${where.sql} ORDER BY task_order, task_id LIMIT ${limit + 1}`, where.values);
    const kept = rows.slice(0, limit);
    const attempts = await this.pool.query<AttemptRow>(
      `SELECT ${ATTEMPT_COLUMNS} FROM attempts
       WHERE flow_name = $1 AND run_id = $2 AND step_name = $3 AND task_id = ANY($4::text[]) ORDER BY attempt`,
      [flowName, runId, stepName, kept.map((r) => r.task_id)],
    );
    const byTask = new Map<string, AttemptRecord[]>();
    for (const row of attempts.rows) byTask.set(row.task_id, [...(byTask.get(row.task_id) ?? []), attemptRecord(row)]);
    return page(rows, limit, (r) => taskRecord(r, byTask.get(r.task_id) ?? []), (r) => [r.task_order, r.task_id]);
  }

  async listAttempts(ref: TaskRef): Promise<AttemptRecord[]> {
    const { rows } = await this.pool.query<AttemptRow>(`SELECT ${ATTEMPT_COLUMNS} FROM attempts WHERE ${TASK_KEY} ORDER BY attempt`, [
      ref.flowName,
      ref.runId,
      ref.stepName,
      ref.taskId,
    ]);
    return rows.map(attemptRecord);
  }

  /**
   * An attempt starts: its row is (re)written, and the task follows its newest attempt (status, times,
   * attempt number), so a retry is never hidden behind the first attempt's state.
   */
  async startAttempt(ref: TaskRef, attempt: number): Promise<void> {
    // One statement, so atomic without a transaction: the task row and the attempt row change together.
    const result = await this.pool.query(
      `WITH task AS (
         UPDATE tasks SET current_attempt = greatest(coalesce(current_attempt, $5), $5),
           status = CASE WHEN coalesce(current_attempt, $5) <= $5 THEN 'running' ELSE status END,
           started_at = CASE WHEN coalesce(current_attempt, $5) <= $5 THEN $6 ELSE started_at END,
           finished_at = CASE WHEN coalesce(current_attempt, $5) <= $5 THEN NULL ELSE finished_at END,
           last_heartbeat = $6
         WHERE ${TASK_KEY} RETURNING 1)
       INSERT INTO attempts (flow_name, run_id, step_name, task_id, attempt, status, started_at) SELECT $1, $2, $3, $4, $5, 'running', $6 FROM task
       ON CONFLICT (flow_name, run_id, step_name, task_id, attempt) DO UPDATE SET status = 'running', started_at = $6, finished_at = NULL, error = NULL, died = NULL`,
      [ref.flowName, ref.runId, ref.stepName, ref.taskId, attempt, Date.now()],
    );
    if (result.rowCount === 0) throw taskNotFound(ref);
  }

  async finishAttempt(ref: TaskRef, attempt: number, outcome: AttemptOutcome): Promise<void> {
    // An attempt whose process died before it could start one is recorded as both started and finished now.
    const result = await this.pool.query(
      `WITH task AS (
         UPDATE tasks SET current_attempt = greatest(coalesce(current_attempt, $5), $5),
           status = CASE WHEN coalesce(current_attempt, $5) <= $5 THEN $6 ELSE status END,
           started_at = CASE WHEN coalesce(current_attempt, $5) < $5 THEN $7 ELSE coalesce(started_at, $7) END,
           finished_at = CASE WHEN coalesce(current_attempt, $5) <= $5 THEN $7 ELSE finished_at END
         WHERE ${TASK_KEY} RETURNING 1)
       INSERT INTO attempts (flow_name, run_id, step_name, task_id, attempt, status, started_at, finished_at, error, died) SELECT $1, $2, $3, $4, $5, $6, $7, $7, $8, $9 FROM task
       ON CONFLICT (flow_name, run_id, step_name, task_id, attempt) DO UPDATE SET status = $6, finished_at = $7, error = $8, died = $9`,
      [ref.flowName, ref.runId, ref.stepName, ref.taskId, attempt, outcome.status, Date.now(), outcome.error ?? null, outcome.died ?? null],
    );
    if (result.rowCount === 0) throw taskNotFound(ref);
  }

  async registerArtifacts(ref: TaskRef, attempt: number, artifacts: Record<string, ArtifactRef>): Promise<void> {
    const entries = Object.entries(artifacts);
    if (entries.length === 0) return;
    try {
      await this.pool.query(
        `INSERT INTO artifacts (flow_name, run_id, step_name, task_id, attempt, name, sha, type, size, serializer)
         SELECT $1, $2, $3, $4, $5, * FROM unnest($6::text[], $7::text[], $8::text[], $9::bigint[], $10::text[])
         ON CONFLICT (flow_name, run_id, step_name, task_id, attempt, name) DO UPDATE SET sha = EXCLUDED.sha, type = EXCLUDED.type, size = EXCLUDED.size, serializer = EXCLUDED.serializer`,
        [
          ref.flowName, ref.runId, ref.stepName, ref.taskId, attempt,
          entries.map(([name]) => name), entries.map(([, a]) => a.sha), entries.map(([, a]) => a.type), entries.map(([, a]) => a.size), entries.map(([, a]) => a.serializer),
        ],
      );
    } catch (error) {
      throw isForeignKeyViolation(error) ? taskNotFound(ref) : error;
    }
  }

  /** An attempt's artifact index; without an attempt, the latest attempt that registered one. */
  async listArtifacts(ref: TaskRef, attempt: number | undefined, limit: number, cursor?: unknown[]): Promise<Page<{ name: string; attempt: number } & ArtifactRef>> {
    const where = new Conditions([ref.flowName, ref.runId, ref.stepName, ref.taskId]);
    where.clauses.push(TASK_KEY);
    if (attempt === undefined) where.clauses.push(`attempt = (SELECT max(attempt) FROM artifacts WHERE ${TASK_KEY})`);
    else where.add((p) => `attempt = ${p()}`, attempt);
    if (cursor) where.add((p) => `name > ${p()}`, ...cursorOf(cursor, ['string']));
    const { rows } = await this.pool.query<{ name: string; attempt: number; sha: string; type: string; size: number; serializer: string }>(
      `SELECT name, attempt, sha, type, size, serializer FROM artifacts WHERE ${where.sql} ORDER BY name LIMIT ${limit + 1}`,
      where.values,
    );
    return page(rows, limit, (r) => ({ ...r }), (r) => [r.name]);
  }

  async registerMetadata(ref: TaskRef, attempt: number, entries: Record<string, string>): Promise<void> {
    const pairs = Object.entries(entries);
    if (pairs.length === 0) return;
    try {
      await this.pool.query(
        `INSERT INTO metadata (flow_name, run_id, step_name, task_id, attempt, field, value, created_at)
         SELECT $1, $2, $3, $4, $5, field, value, $8 FROM unnest($6::text[], $7::text[]) AS e (field, value)
         ON CONFLICT (flow_name, run_id, step_name, task_id, attempt, field) DO UPDATE SET value = EXCLUDED.value`,
        [ref.flowName, ref.runId, ref.stepName, ref.taskId, attempt, pairs.map(([f]) => f), pairs.map(([, v]) => v), Date.now()],
      );
    } catch (error) {
      throw isForeignKeyViolation(error) ? taskNotFound(ref) : error;
    }
  }

  async listMetadata(ref: TaskRef, limit: number, cursor?: unknown[]): Promise<Page<{ attempt: number; field: string; value: string; createdAt: number }>> {
    const where = new Conditions([ref.flowName, ref.runId, ref.stepName, ref.taskId]);
    where.clauses.push(TASK_KEY);
    if (cursor) where.add((p) => `(attempt, field) > (${p()}, ${p()})`, ...cursorOf(cursor, ['number', 'string']));
    const { rows } = await this.pool.query<{ attempt: number; field: string; value: string; created_at: number }>(
      `SELECT attempt, field, value, created_at FROM metadata WHERE ${where.sql} ORDER BY attempt, field LIMIT ${limit + 1}`,
      where.values,
    );
    return page(rows, limit, (r) => ({ attempt: r.attempt, field: r.field, value: r.value, createdAt: r.created_at }), (r) => [r.attempt, r.field]);
  }

  /**
   * Marks failed what stopped sending heartbeats before `cutoff`: runs whose scheduler died, and tasks
   * (with their running attempt) nobody reports any more. Also forgets request ids older than a day.
   */
  async reap(cutoff: number): Promise<{ runs: number; tasks: number }> {
    const now = Date.now();
    const runs = await this.pool.query("UPDATE runs SET status = 'failed', finished_at = $1 WHERE status = 'running' AND last_heartbeat < $2", [now, cutoff]);
    const tasks = await this.pool.query(
      `WITH stale AS (
         UPDATE tasks SET status = 'failed', finished_at = $1 WHERE status = 'running' AND last_heartbeat < $2
         RETURNING flow_name, run_id, step_name, task_id, current_attempt)
       UPDATE attempts a SET status = 'failed', finished_at = $1, error = $3 FROM stale s
       WHERE a.flow_name = s.flow_name AND a.run_id = s.run_id AND a.step_name = s.step_name AND a.task_id = s.task_id
         AND a.attempt = s.current_attempt AND a.status = 'running'`,
      [now, cutoff, 'Task lost: no heartbeat from its scheduler (it stopped or was killed)'],
    );
    await this.pool.query('DELETE FROM requests WHERE created_at < $1', [now - 24 * 3600 * 1000]);
    return { runs: runs.rowCount ?? 0, tasks: tasks.rowCount ?? 0 };
  }
}

function runNotFound(flowName: string, runId: string): HttpError {
  return new HttpError(404, 'not_found', `Run ${flowName}/${runId} does not exist.`, 'create it first: POST /v1/flows/<flow>/runs');
}
