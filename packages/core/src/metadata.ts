/** Records a MetadataProvider keeps. Times are milliseconds since the epoch. */

export interface TaskRef {
  flowName: string;
  runId: string;
  stepName: string;
  taskId: string;
}

export interface RunRecord {
  flowName: string;
  runId: string;
  user: string;
  createdAt: number;
  /** Tags users add and remove. */
  tags: string[];
  /** Tags FlowKit sets (`user:`, `runtime:`, `flowkit_version:`); they cannot be removed. */
  systemTags: string[];
  originRunId?: string;
  /** How the run ended, once its scheduler said so (or a provider that tracks heartbeats gave up on it). */
  status?: RunStatus;
  finishedAt?: number;
}

export type RunStatus = 'running' | 'succeeded' | 'failed';

/** Facts fixed when a task is created. */
export interface TaskInfo {
  /** Position in each enclosing foreach, outermost first. */
  foreachIndices?: number[];
  /** For a task cloned by resume: the task it was cloned from (`run/step/task`). */
  clonedFrom?: string;
  /** The tasks whose outputs it started from (`step/task` in the same run); `_parameters/0` for start. */
  inputPaths?: string[];
}

export interface TaskRecord extends TaskRef, TaskInfo {
  createdAt: number;
  /** The attempts so far, oldest first, when the provider lists them with the task (one request, not one per task). */
  attempts?: AttemptRecord[];
}

/** Which runs to list; a provider filters where the records are (a service filters in its database). */
export interface RunFilter {
  /** Only runs carrying every one of these tags, user or system (a namespace is a tag). */
  tags?: string[];
  /** A run without a recorded status counts as running. */
  status?: RunStatus;
  /** Created at or after / before these times. */
  since?: number;
  until?: number;
  /** At most this many, newest first. */
  limit?: number;
}

/** Which tasks of a step to list; `status` is the status of each task's latest attempt. */
export interface TaskFilter {
  status?: AttemptStatus;
  since?: number;
  limit?: number;
}

export type AttemptStatus = 'running' | 'succeeded' | 'failed';

export interface AttemptRecord {
  attempt: number;
  startedAt: number;
  finishedAt?: number;
  status: AttemptStatus;
  /** One line: why the attempt failed. */
  error?: string;
  /** How the task died when its process could not record it (`was killed by SIGTERM`); `error` then reads `Task <died>`. */
  died?: string;
}

/** How an attempt ended, as its task (or FlowKit, for a task that died) records it. */
export type AttemptOutcome = Pick<AttemptRecord, 'error' | 'died'> & { status: 'succeeded' | 'failed' };

/**
 * A run's user tags after removing then adding: tags already present or equal to a system tag are
 * not added twice (Metaflow's semantics). Validation and the refusal to remove system tags are the caller's.
 */
export function applyTagChange(run: Pick<RunRecord, 'tags' | 'systemTags'>, change: { add: string[]; remove: string[] }): string[] {
  const tags = run.tags.filter((t) => !change.remove.includes(t));
  for (const tag of change.add) if (!tags.includes(tag) && !run.systemTags.includes(tag)) tags.push(tag);
  return tags;
}
