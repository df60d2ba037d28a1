import { FlowKitError } from './errors';

/** Facts about the task that is running, as `current` exposes them. */
export interface CurrentTask {
  flowName: string;
  runId: string;
  stepName: string;
  taskId: string;
  retryCount: number;
  parameterNames: string[];
  username: string;
  originRunId?: string;
  /** `Flow/run/step/task`. */
  pathspec: string;
}

const STATE = Symbol.for('flowkit.current');
type Holder = { [STATE]?: CurrentTask };

function state(field: string): CurrentTask {
  const task = (globalThis as Holder)[STATE];
  if (!task) {
    throw new FlowKitError(`current.${field} is only set while a step runs.`, {
      hint: 'check current.isRunningFlow before reading it outside a flow',
    });
  }
  return task;
}

/** The running task, readable from step code and anything it calls. */
export const current = {
  get isRunningFlow(): boolean {
    return (globalThis as Holder)[STATE] !== undefined;
  },
  get flowName(): string {
    return state('flowName').flowName;
  },
  get runId(): string {
    return state('runId').runId;
  },
  get stepName(): string {
    return state('stepName').stepName;
  },
  get taskId(): string {
    return state('taskId').taskId;
  },
  get retryCount(): number {
    return state('retryCount').retryCount;
  },
  get parameterNames(): string[] {
    return [...state('parameterNames').parameterNames];
  },
  get username(): string {
    return state('username').username;
  },
  get originRunId(): string | undefined {
    return state('originRunId').originRunId;
  },
  /** `Flow/run/step/task` of the running task. */
  get pathspec(): string {
    return state('pathspec').pathspec;
  },
};

/** Set by the runtime when a task starts. */
export function bindCurrent(task: CurrentTask | undefined): void {
  (globalThis as Holder)[STATE] = task;
}
