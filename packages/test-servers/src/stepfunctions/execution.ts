import { setMaxListeners } from 'node:events';
import type { BatchClient } from '@aws-sdk/client-batch';
import type { S3Client } from '@aws-sdk/client-s3';
import { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError, StateMachine } from 'aws-local-stepfunctions';
import { TaskFailed, getObject, submitJobSync, type StopCause } from './resources';

// aws-local-stepfunctions uses Promise.withResolvers, which Node 20 lacks.
const promises = Promise as unknown as { withResolvers?: () => unknown };
promises.withResolvers ??= () => {
  let resolve!: (value: unknown) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
};

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionOptions {
  batch: BatchClient;
  s3?: S3Client;
  pollMs: number;
  retryIntervalMs?: number;
}

type StateDefinition = { Type: string; Resource?: string; TimeoutSeconds?: number; Branches?: Definition[]; ItemProcessor?: Definition; Iterator?: Definition };
type Definition = { States: Record<string, StateDefinition> };

/** The longest timer Node keeps (about 24.8 days, in seconds): AWS's default Task timeout (99999999 s) would overflow it. */
const LONGEST_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/**
 * Every Task state of a definition, nested ones included, with its resource and TimeoutSeconds. Each is handed to
 * the interpreter with the longest timeout it can keep instead: the server keeps the state's own (the interpreter's
 * would abandon the job, still running, and its default is 60 s where AWS's is 99999999).
 */
function taskStates(definition: Definition, found = new Map<string, { resource: string; timeoutSeconds?: number }>()) {
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type === 'Task') {
      found.set(name, { resource: state.Resource as string, timeoutSeconds: state.TimeoutSeconds });
      state.TimeoutSeconds = LONGEST_TIMER_SECONDS;
    }
    for (const branch of [...(state.Branches ?? []), state.ItemProcessor ?? state.Iterator].filter((b): b is Definition => b !== undefined)) taskStates(branch, found);
  }
  return found;
}

/**
 * The interpreter has no `$$.State.RetryCount`: it reads this marker instead, and each Task call replaces it
 * with how many times the state was called before with the same input (a retry repeats its input exactly).
 */
const RETRY_MARKER = '__flowkit_test_retry_count__';

function withRetryCount(value: unknown, count: number): unknown {
  if (typeof value === 'string') return value.split(RETRY_MARKER).join(String(count));
  if (Array.isArray(value)) return value.map((item) => withRetryCount(item, count));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withRetryCount(v, count)]));
  return value;
}

/** What each of an execution's running jobs listens to: a Map state runs many at once, each one listener. */
function stoppable(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}

/** One execution of a state machine, run by aws-local-stepfunctions with its Task resources served here. */
export class Execution {
  status: ExecutionStatus = 'RUNNING';
  readonly startDate = new Date();
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
  readonly settled: Promise<void>;
  private readonly stopped = stoppable();
  private readonly calls = new Map<string, number>();
  private abort?: () => void;

  constructor(
    readonly executionArn: string,
    readonly stateMachineArn: string,
    readonly name: string,
    readonly input: string,
    definition: string,
    private readonly options: ExecutionOptions,
  ) {
    this.settled = this.run(definition);
  }

  /** StopExecution: the interpreter is aborted and its Batch jobs terminated. */
  stop(error?: string, cause?: string): void {
    if (this.status !== 'RUNNING') return;
    this.finish('ABORTED', { error, cause });
    this.abort?.();
    this.stopped.abort('execution stopped' satisfies StopCause);
  }

  private async run(definitionText: string): Promise<void> {
    const definition = JSON.parse(definitionText) as Definition;
    const tasks = taskStates(definition);
    const handlers = Object.fromEntries([...tasks].map(([name, task]) => [name, (input: unknown) => this.task(name, task, input)]));
    const retries = this.options.retryIntervalMs === undefined ? undefined : Object.fromEntries([...tasks.keys()].map((name) => [name, this.options.retryIntervalMs as number]));
    const machine = new StateMachine(definition as never, { validationOptions: { checkArn: false } });
    const execution = machine.run(JSON.parse(this.input), {
      context: { Execution: { Id: this.executionArn, Name: this.name, StartTime: this.startDate.toISOString(), Input: JSON.parse(this.input) }, State: { RetryCount: RETRY_MARKER } },
      overrides: { taskResourceLocalHandlers: handlers as never, retryIntervalOverrides: retries },
    });
    this.abort = execution.abort;
    try {
      const output = await execution.result;
      this.finish('SUCCEEDED', { output: JSON.stringify(output) });
    } catch (error) {
      if (error instanceof ExecutionAbortedError) return;
      if (error instanceof ExecutionTimeoutError) {
        this.finish('TIMED_OUT', { error: 'States.Timeout', cause: 'The execution ran past its TimeoutSeconds.' });
        this.stopped.abort('execution timed out' satisfies StopCause);
        return;
      }
      const cause = error instanceof ExecutionError ? ((error as Error & { cause?: Error }).cause ?? error) : (error as Error);
      this.finish('FAILED', { error: cause.name, cause: cause.message });
    }
  }

  private async task(name: string, task: { resource: string; timeoutSeconds?: number }, input: unknown): Promise<unknown> {
    const key = `${name}\0${JSON.stringify(input)}`;
    const count = this.calls.get(key) ?? 0;
    this.calls.set(key, count + 1);
    const parameters = withRetryCount(input, count);
    // The interpreter retries a state its own abort ended; AWS starts nothing once the execution has ended.
    if (this.status !== 'RUNNING') throw new TaskFailed('States.Aborted', 'The execution has ended.');
    if (task.resource === 'arn:aws:states:::batch:submitJob.sync') {
      const timedOut = new AbortController();
      const timer = task.timeoutSeconds === undefined ? undefined : setTimeout(() => timedOut.abort('state timed out' satisfies StopCause), task.timeoutSeconds * 1000);
      try {
        return await submitJobSync(this.options.batch, parameters, this.options.pollMs, AbortSignal.any([this.stopped.signal, timedOut.signal]), this.executionArn);
      } finally {
        clearTimeout(timer);
      }
    }
    if (task.resource === 'arn:aws:states:::aws-sdk:s3:getObject' && this.options.s3) return getObject(this.options.s3, parameters);
    throw new Error(`The Step Functions test server does not serve the resource ${task.resource} (state ${name}).`);
  }

  private finish(status: ExecutionStatus, result: { output?: string; error?: string; cause?: string }): void {
    if (this.status !== 'RUNNING') return;
    Object.assign(this, { status, stopDate: new Date(), ...result });
  }
}
