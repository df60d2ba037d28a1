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
}

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
}

export type AttemptStatus = 'running' | 'succeeded' | 'failed';

export interface AttemptRecord {
  attempt: number;
  startedAt: number;
  finishedAt?: number;
  status: AttemptStatus;
  /** One line: why the attempt failed. */
  error?: string;
}

/**
 * A run's user tags after removing then adding: tags already present or equal to a system tag are
 * not added twice (Metaflow's semantics). Validation and the refusal to remove system tags are the caller's.
 */
export function applyTagChange(run: Pick<RunRecord, 'tags' | 'systemTags'>, change: { add: string[]; remove: string[] }): string[] {
  const tags = run.tags.filter((t) => !change.remove.includes(t));
  for (const tag of change.add) if (!tags.includes(tag) && !run.systemTags.includes(tag)) tags.push(tag);
  return tags;
}
