import { setMaxListeners } from 'node:events';
import type { BatchClient } from '@aws-sdk/client-batch';
import type { S3Client } from '@aws-sdk/client-s3';
import { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError, StateMachine } from 'aws-local-stepfunctions';
import { getObject, submitJobSync } from './resources';

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

type Definition = { States: Record<string, { Type: string; Resource?: string; Branches?: Definition[]; ItemProcessor?: Definition; Iterator?: Definition }> };

/** Every Task state of a definition, nested ones included, with its resource. */
function taskStates(definition: Definition, found = new Map<string, string>()): Map<string, string> {
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type === 'Task') found.set(name, state.Resource as string);
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
    this.stopped.abort();
  }

  private async run(definitionText: string): Promise<void> {
    const definition = JSON.parse(definitionText) as Definition;
    const tasks = taskStates(definition);
    const handlers = Object.fromEntries([...tasks].map(([name, resource]) => [name, (input: unknown) => this.task(name, resource, input)]));
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
      if (error instanceof ExecutionTimeoutError) return this.finish('TIMED_OUT', { error: 'States.Timeout', cause: 'The execution ran past its TimeoutSeconds.' });
      const cause = error instanceof ExecutionError ? ((error as Error & { cause?: Error }).cause ?? error) : (error as Error);
      this.finish('FAILED', { error: cause.name, cause: cause.message });
    }
  }

  private task(name: string, resource: string, input: unknown): Promise<unknown> {
    const key = `${name}\0${JSON.stringify(input)}`;
    const count = this.calls.get(key) ?? 0;
    this.calls.set(key, count + 1);
    const parameters = withRetryCount(input, count);
    if (resource === 'arn:aws:states:::batch:submitJob.sync') return submitJobSync(this.options.batch, parameters, this.options.pollMs, this.stopped.signal);
    if (resource === 'arn:aws:states:::aws-sdk:s3:getObject' && this.options.s3) return getObject(this.options.s3, parameters);
    return Promise.reject(new Error(`The Step Functions test server does not serve the resource ${resource} (state ${name}).`));
  }

  private finish(status: ExecutionStatus, result: { output?: string; error?: string; cause?: string }): void {
    if (this.status !== 'RUNNING') return;
    Object.assign(this, { status, stopDate: new Date(), ...result });
  }
}
