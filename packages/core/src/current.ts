import type { Logger } from 'pino';
import { Settings, loadConfig } from './config';
import { ConfigError, FlowKitError } from './errors';

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
const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
/** Each task's logger, made on first use. */
const loggers = new WeakMap<CurrentTask, Logger>();
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
  /**
   * A pino logger writing JSON lines to the task's stdout (its log), each with the task's ids: flow, run_id, step,
   * task_id, attempt. Its level is FLOWKIT_LOG_LEVEL (default info).
   */
  get logger(): Logger {
    const task = state('logger');
    let logger = loggers.get(task);
    if (!logger) {
      logger = taskLogger(task);
      loggers.set(task, logger);
    }
    return logger;
  },
};

function taskLogger(task: CurrentTask): Logger {
  const level = loadConfig().get(Settings.logLevel) ?? 'info';
  if (!LEVELS.includes(level)) throw new ConfigError(`${Settings.logLevel}=${level} is not a log level.`, { hint: `use one of ${LEVELS.join(', ')}` });
  // Loaded on first use: a task that never logs never loads it.
  const pino = require('pino') as typeof import('pino');
  const base = { flow: task.flowName, run_id: task.runId, step: task.stepName, task_id: task.taskId, attempt: task.retryCount };
  // process.stdout, not pino's own fd writer: the task flushes it before it exits.
  return pino.pino({ level, base, timestamp: pino.stdTimeFunctions.isoTime }, process.stdout);
}

/** Set by the runtime when a task starts. */
export function bindCurrent(task: CurrentTask | undefined): void {
  (globalThis as Holder)[STATE] = task;
}
