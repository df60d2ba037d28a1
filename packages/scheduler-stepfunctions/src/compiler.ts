import type { FlowGraph, GraphStep, LaunchPlan } from '@flowkit/core/plugin';
import { foreachDepth } from '@flowkit/runtime';
import { BATCH_SUBMIT_JOB_SYNC, S3_GET_OBJECT, type Branch, type Json, type State, type StateMachineDefinition, type TaskState } from './asl';

/** What a step's Batch job is made of, known once the flow is deployed (see BatchJobs). */
export interface JobParameters {
  /** A step's submitJob parameters; `attempt` 'retry' takes the state's retry count, a number is fixed (the @catch fallback). */
  step(stepName: string, attempt: 'retry' | number): Record<string, Json>;
  /** The run's `init` job (records the run and its parameters) and its `failed` job. */
  init(): Json;
  failed(): Json;
  /** The S3 GetObject parameters that read a foreach task's split count. */
  splitCount(stepName: string): Json;
}

export interface CompileInput {
  graph: FlowGraph;
  plan(stepName: string): Pick<LaunchPlan, 'userAttempts' | 'fallbackAttempt' | 'retryDelaySeconds' | 'timeoutSeconds'>;
  jobs: JobParameters;
  /** Parameter values fixed at deploy time (text, by name); a trigger's own override them. */
  parameters: Record<string, string>;
  maxWorkers?: number;
  workflowTimeoutSeconds?: number;
}

/**
 * A step's job keeps its @timeout itself (its bootstrap stops the task and records that it timed out, as the local
 * scheduler does), because a job Step Functions stops cannot tell why, and a retry would race the stopped job's
 * records. The state's TimeoutSeconds and Batch's attempt duration are backstops this much later, for a job that
 * never got to run its task (queued) or hangs after it: then Step Functions, or Batch, terminates it.
 */
export const TIMEOUT_BACKSTOP_SECONDS = 600;

/** The run's id, from the execution's name. A payload holds ids only (run id, foreach indices, task id, parameters as text). */
const RUN_ID = "States.Format('sfn-{}', $$.Execution.Name)";

/**
 * The graph as a state machine: `init`, then the flow inside one Parallel whose Catch records the run failed.
 * A step is a Batch job; a branch a Parallel; a foreach a Map over the indices its task recorded.
 */
export function compile(input: CompileInput): StateMachineDefinition {
  const flow = new Chains(input).chain('start', undefined);
  return {
    Comment: `FlowKit flow ${input.graph.flowName}`,
    ...(input.workflowTimeoutSeconds === undefined ? {} : { TimeoutSeconds: input.workflowTimeoutSeconds }),
    StartAt: 'Deployed parameters',
    States: {
      'Deployed parameters': { Type: 'Pass', Result: input.parameters, ResultPath: '$.deployed', Next: 'Ids' },
      Ids: {
        Type: 'Pass',
        Parameters: { 'runId.$': RUN_ID, indices: '', taskId: 't', 'parameters.$': 'States.JsonToString(States.JsonMerge($.deployed, $.parameters, false))' },
        Next: 'init',
      },
      init: { Type: 'Task', Resource: BATCH_SUBMIT_JOB_SYNC, Parameters: input.jobs.init(), ResultPath: null, Next: 'Run' },
      Run: { Type: 'Parallel', Branches: [flow], ResultPath: null, Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Record failure' }], End: true },
      'Record failure': { Type: 'Task', Resource: BATCH_SUBMIT_JOB_SYNC, Parameters: input.jobs.failed(), ResultPath: null, Next: 'Failed' },
      Failed: { Type: 'Fail', Error: 'FlowKit.RunFailed', Cause: `A task of ${input.graph.flowName} failed: flowkit logs shows why.` },
    },
  };
}

/** One step's states: where they start, the states that lead on, and the step they lead to. */
interface Segment {
  entry: string;
  exits: State[];
  then?: string;
}

class Chains {
  constructor(private readonly input: CompileInput) {}

  /** The steps from `first` up to (not including) `stop`, linked in order. */
  chain(first: string, stop: string | undefined): Branch {
    const states: Record<string, State> = {};
    let exits: State[] = [];
    let name: string | undefined = first;
    while (name !== undefined && name !== stop) {
      const segment = this.step(this.input.graph.steps[name] as GraphStep, states);
      for (const exit of exits) exit.Next = segment.entry;
      exits = segment.exits;
      name = segment.then;
    }
    for (const exit of exits) exit.End = true;
    return { StartAt: first, States: states };
  }

  private step(step: GraphStep, states: Record<string, State>): Segment {
    const exits = this.task(step, states);
    if (step.type === 'split-and') {
      const branches: State = { Type: 'Parallel', Branches: step.next.map((head) => this.chain(head, step.matchingJoin)), ResultPath: null };
      return { entry: step.name, exits: this.fanOut(exits, [[`${step.name} (branches)`, branches]], states), then: step.matchingJoin };
    }
    if (step.foreach !== undefined) return { entry: step.name, exits: this.fanOut(exits, this.foreach(step), states), then: step.matchingJoin };
    return { entry: step.name, exits, then: step.next[0] };
  }

  /** Adds the states that follow a split's task, in order; the last one leads to its join. */
  private fanOut(exits: State[], chain: Array<[string, State]>, states: Record<string, State>): State[] {
    for (const [name, state] of chain) {
      for (const exit of exits) exit.Next = name;
      states[name] = state;
      exits = [state];
    }
    return exits;
  }

  /** The step's job, with @retry as Retry, @timeout as TimeoutSeconds, @catch as a Catch into a fallback job. */
  private task(step: GraphStep, states: Record<string, State>): State[] {
    const plan = this.input.plan(step.name);
    // The fallback attempt runs no user code: the step's timeout is not its to keep (as in the local scheduler).
    const job = (attempt: 'retry' | number): TaskState => ({
      Type: 'Task',
      Resource: BATCH_SUBMIT_JOB_SYNC,
      Parameters: this.input.jobs.step(step.name, attempt),
      ResultPath: null,
      ...(plan.timeoutSeconds === undefined || attempt !== 'retry' ? {} : { TimeoutSeconds: Math.ceil(plan.timeoutSeconds) + TIMEOUT_BACKSTOP_SECONDS }),
    });
    const task = job('retry');
    states[step.name] = task;
    if (plan.userAttempts > 1) {
      task.Retry = [{ ErrorEquals: ['States.ALL'], IntervalSeconds: Math.max(1, plan.retryDelaySeconds), MaxAttempts: plan.userAttempts - 1, BackoffRate: 1 }];
    }
    if (!plan.fallbackAttempt) return [task];
    const fallback = job(plan.userAttempts);
    states[`${step.name} (fallback)`] = fallback;
    task.Catch = [{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: `${step.name} (fallback)` }];
    return [task, fallback];
  }

  /** After a foreach's task: its split count read from S3, the indices made from it, and a Map over them. */
  private foreach(step: GraphStep): Array<[string, State]> {
    const depth = foreachDepth(this.input.graph, step);
    const index = '$$.Map.Item.Value';
    return [
      [
        `${step.name} (split count)`,
        {
          Type: 'Task',
          Resource: S3_GET_OBJECT,
          Parameters: this.input.jobs.splitCount(step.name),
          ResultSelector: { 'count.$': 'States.StringToJson($.Body)' },
          ResultPath: '$.split',
          Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2 }],
        },
      ],
      [`${step.name} (indices)`, { Type: 'Pass', Parameters: { 'items.$': 'States.ArrayRange(0, States.MathAdd($.split.count.splits, -1), 1)' }, ResultPath: '$.split' }],
      [
        `${step.name} (foreach)`,
        {
          Type: 'Map',
          ItemsPath: '$.split.items',
          ItemSelector: {
            'runId.$': '$.runId',
            'indices.$': depth === 0 ? `States.Format('{}', ${index})` : `States.Format('{},{}', $.indices, ${index})`,
            'taskId.$': `States.Format('{}-{}', $.taskId, ${index})`,
          },
          ItemProcessor: this.chain(step.next[0] as string, step.matchingJoin),
          ResultPath: null,
          ...(this.input.maxWorkers === undefined ? {} : { MaxConcurrency: this.input.maxWorkers }),
        },
      ],
    ];
  }
}
