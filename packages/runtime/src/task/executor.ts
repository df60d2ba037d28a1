import { hostname } from 'node:os';
import { ArtifactError, FlowKitError, MergeArtifactsError, TransitionError, type FlowSpec } from '@flowkit/core';
import { bindCurrent, bindTask, isStepMethod, mapLimit, errorType, parametersOf, type NextOptions } from '@flowkit/core/internal';
import {
  FlowDataStore,
  type AttemptData,
  type CurrentTask,
  type FlowGraph,
  type GraphStep,
  type MetadataProvider,
  type StepOutcome,
  type StoredForeachFrame,
  type TaskHookContext,
  type TaskRef,
  type Transition,
} from '@flowkit/core/plugin';
import type { ResolvedDecorator } from '../decorators';
import { flowStep } from '../flowClass';
import { faultPoint } from '../faults';
import { PARAMETERS_PATH } from '../parameters';
import type { TaskArgs } from '../taskArgs';
import { ArtifactScope } from './artifacts';
import { makeInputViews, mergeInputs, type TaskInput } from './inputs';

/** One attempt of one task: what the scheduler put on the command line, and who runs it. */
export type TaskSpec = Pick<TaskArgs, 'runId' | 'stepName' | 'taskId' | 'attempt' | 'userAttempts' | 'inputPaths' | 'splitIndex' | 'maxNumSplits' | 'originRunId'> & {
  user: string;
};

export interface TaskContext {
  graph: FlowGraph;
  flowClass: new () => FlowSpec;
  store: FlowDataStore;
  metadata: MetadataProvider;
  decorators: ResolvedDecorator[];
}

const ITEM_SAVE_CONCURRENCY = 16;

/** Runs one attempt: loads inputs, runs the user's step, stores artifacts, then marks the attempt DONE. */
export async function executeTask(spec: TaskSpec, context: TaskContext): Promise<void> {
  const ref: TaskRef = { flowName: context.graph.flowName, runId: spec.runId, stepName: spec.stepName, taskId: spec.taskId };
  await context.metadata.startAttempt(ref, spec.attempt);
  await context.metadata.registerMetadata?.(ref, spec.attempt, { host: hostname(), pid: String(process.pid) });
  try {
    const data = await untilLoopDrains(runStep(spec, context), spec.stepName);
    await context.store.writeAttemptData(ref, spec.attempt, data);
    faultPoint('crash-before-done', spec.stepName);
    await context.store.markDone(ref, spec.attempt);
    await context.metadata.registerArtifacts?.(ref, spec.attempt, data.artifacts);
    await context.metadata.finishAttempt(ref, spec.attempt, { status: 'succeeded' });
  } catch (error) {
    await context.metadata.finishAttempt(ref, spec.attempt, { status: 'failed', error: oneLine(error) });
    throw error;
  }
}

/**
 * The step's work, or an error once the event loop empties before it settles: the step awaits a promise nothing
 * will settle, and the process would otherwise end with exit 0 and its attempt still running.
 */
async function untilLoopDrains<T>(work: Promise<T>, stepName: string): Promise<T> {
  let drain = (): void => undefined;
  const drained = new Promise<never>((_, reject) => {
    drain = () =>
      reject(
        new FlowKitError(`Step '${stepName}' awaited a promise that never settles: nothing was left to run before the step finished.`, {
          hint: 'settle every promise the step awaits (a callback never called, an event never emitted)',
        }),
      );
    process.once('beforeExit', drain);
  });
  try {
    return await Promise.race([work, drained]);
  } finally {
    process.off('beforeExit', drain);
  }
}

async function runStep(spec: TaskSpec, context: TaskContext): Promise<AttemptData> {
  const { graph, store } = context;
  const step = flowStep(graph, spec.stepName);
  const inputs = await Promise.all(spec.inputPaths.map((path) => readInput(store, spec.runId, path)));
  const parameterTask = await readInput(store, spec.runId, PARAMETERS_PATH);

  const flow = new context.flowClass();
  const definitions = parametersOf(flow);
  const scope = new ArtifactScope(store, flow, graph.order);
  // Parameters and constants: the same value in every task of the run, never inherited or merged.
  const fixedValues = new Map<string, unknown>();
  await Promise.all(
    [...definitions].map(async ([field, definition]) => {
      const stored = parameterTask.data.artifacts[field];
      if (!stored) throw new FlowKitError(`Parameter '${definition.name}' has no value in this run.`, { hint: 'start a new run; the flow gained a parameter since' });
      const value = await store.loadValue(stored);
      fixedValues.set(field, value);
      scope.bindParameter(field, definition.name, stored, value);
    }),
  );
  for (const [field, value] of ArtifactScope.constantsOf(flow, definitions)) {
    fixedValues.set(field, value);
    scope.bindConstant(field, value);
  }

  const isJoin = step.type === 'join';
  if (!isJoin) {
    for (const [name, stored] of Object.entries(inputs[0]?.data.artifacts ?? {})) {
      if (!fixedValues.has(name)) scope.inherit(name, stored);
    }
  }
  const foreachStack = foreachStackOf(spec, step, graph, inputs);
  const unmerged = unmergedBy(step, inputs, fixedValues);
  const views = isJoin ? makeInputViews(store, inputs, fixedValues) : undefined;

  let transition: { targets: string[]; options?: NextOptions } | undefined;
  let inputValue: { loaded: boolean; value?: unknown } = { loaded: false };
  bindTask(flow, {
    next(targets, options) {
      if (transition) throw new TransitionError(`Step '${step.name}' called next() twice.`, { hint: 'call next() once, as the last statement of the step' });
      transition = { targets, options };
    },
    input() {
      const frame = foreachStack[foreachStack.length - 1];
      if (!frame) return undefined;
      if (!inputValue.loaded) inputValue = { loaded: true, value: store.loadValueSync(frame.input) };
      return inputValue.value;
    },
    index: () => foreachStack[foreachStack.length - 1]?.index,
    foreachStack: () => foreachStack.map(({ input: _input, ...frame }) => frame),
    mergeArtifacts(passed, options) {
      if (!isJoin) {
        throw new MergeArtifactsError(`mergeArtifacts() can only be called in a join step; '${step.name}' is a ${step.type} step.`, {}, 'call it in the step that takes `inputs`');
      }
      if (passed !== views) throw new MergeArtifactsError('mergeArtifacts() takes the `inputs` this join step received.', {}, 'call this.mergeArtifacts(inputs)');
      mergeInputs(scope, inputs, fixedValues, options);
    },
  });
  const task: CurrentTask = {
    flowName: graph.flowName,
    runId: spec.runId,
    stepName: spec.stepName,
    taskId: spec.taskId,
    retryCount: spec.attempt,
    parameterNames: [...definitions.keys()],
    username: spec.user,
    originRunId: spec.originRunId,
    pathspec: `${graph.flowName}/${spec.runId}/${spec.stepName}/${spec.taskId}`,
  };
  bindCurrent(task);

  const method = (flow as unknown as Record<string, unknown>)[step.name];
  if (!isStepMethod(method)) {
    throw new FlowKitError(`Method '${step.name}' of ${graph.flowName} is not a @step in the loaded code.`, { hint: 'add @step to it' });
  }
  const handled = await runWithDecorators(context.decorators, { flow, task, attempt: spec.attempt, userAttempts: spec.userAttempts }, async () => {
    if (spec.attempt >= spec.userAttempts) throw await fallbackError(context, spec);
    await (method as (...args: unknown[]) => unknown).call(guardUnmerged(flow, step.name, inputs, unmerged), ...(views ? [views] : []));
  });
  // A handled failure takes the step's declared transition, as if the step had called next().
  if (handled) transition = step.type === 'end' ? undefined : { targets: step.next };

  const artifacts = await scope.persist();
  const stillUnmerged = Object.entries(unmerged).filter(([name]) => !Object.hasOwn(artifacts, name));
  return {
    artifacts,
    foreachStack,
    transition: await checkTransition(step, transition, flow, store, spec.maxNumSplits),
    ...(stillUnmerged.length > 0 ? { unmerged: Object.fromEntries(stillUnmerged) } : {}),
  };
}

/** What this task cannot read because a join did not merge it: its inputs' artifacts in a join, and what joins upstream left out. */
function unmergedBy(step: GraphStep, inputs: TaskInput[], fixedValues: Map<string, unknown>): Record<string, string> {
  const unmerged: Record<string, string> = Object.assign({}, ...inputs.map((input) => input.data.unmerged ?? {}));
  if (step.type !== 'join') return unmerged;
  for (const input of inputs) {
    for (const name of Object.keys(input.data.artifacts)) if (!fixedValues.has(name)) unmerged[name] = step.name;
  }
  return unmerged;
}

/**
 * Runs the step body between its decorators' task-side hooks: beforeStep, then onStepError when it fails, then
 * afterStep whatever the outcome (artifacts it sets are stored). True when a decorator handled a failure.
 */
async function runWithDecorators(decorators: ResolvedDecorator[], base: Omit<TaskHookContext, 'attributes'>, body: () => Promise<void>): Promise<boolean> {
  for (const { decorator, attributes } of decorators) await decorator.beforeStep?.({ ...base, attributes });
  let outcome: StepOutcome;
  try {
    await body();
    outcome = { ok: true, handled: false };
  } catch (error) {
    outcome = { ok: false, handled: false, error };
    for (const { decorator, attributes } of decorators) {
      if (await decorator.onStepError?.({ ...base, attributes }, error)) {
        outcome = { ok: true, handled: true, error };
        break;
      }
    }
  }
  for (const { decorator, attributes } of decorators) await decorator.afterStep?.({ ...base, attributes }, outcome);
  if (!outcome.ok) throw outcome.error;
  return outcome.handled;
}

/** What the fallback attempt reports: the user code never finished, and why the last attempt died. */
async function fallbackError(context: TaskContext, spec: TaskSpec): Promise<Error> {
  const ref = { flowName: context.graph.flowName, runId: spec.runId, stepName: spec.stepName, taskId: spec.taskId };
  const previous = (await context.metadata.listAttempts(ref)).find((a) => a.attempt === spec.attempt - 1);
  return new FlowKitError(`Task kept failing over ${spec.userAttempts} attempt${spec.userAttempts === 1 ? '' : 's'}; the last one: ${previous?.error ?? 'unknown cause'}.`, {
    hint: 'the process died before your code could raise (killed, timed out, out of memory)',
  });
}

async function readInput(store: FlowDataStore, runId: string, path: string): Promise<TaskInput> {
  const [stepName, taskId] = path.split('/') as [string, string];
  const latest = await store.readLatest({ flowName: store.flowName, runId, stepName, taskId });
  if (!latest) throw new FlowKitError(`Input task ${runId}/${path} has not finished successfully.`, { hint: 'resume the run to finish it' });
  return { stepName, taskId, data: latest.data };
}

/** Inside a foreach the stack grows at the first step after the split and shrinks at its join. */
function foreachStackOf(spec: TaskSpec, step: GraphStep, graph: FlowGraph, inputs: TaskInput[]): StoredForeachFrame[] {
  const inherited = inputs[0]?.data.foreachStack ?? [];
  if (step.type === 'join') {
    const closes = Object.values(graph.steps).find((s) => s.matchingJoin === step.name);
    return closes?.foreach !== undefined ? inherited.slice(0, -1) : inherited;
  }
  const parent = inputs[0];
  const split = parent?.data.transition?.foreach;
  if (!parent || !split) return inherited;
  const index = spec.splitIndex ?? 0;
  const item = split.items[index];
  if (!item) throw new TransitionError(`Split index ${index} is outside the ${split.items.length} items of foreach '${split.var}'.`);
  return [...inherited, { step: parent.stepName, var: split.var, index, numSplits: split.items.length, input: item }];
}

/** The step's `this`, which raises instead of returning undefined when it reads an artifact a join did not merge. */
function guardUnmerged(flow: FlowSpec, stepName: string, inputs: TaskInput[], unmerged: Record<string, string>): FlowSpec {
  if (Object.keys(unmerged).length === 0) return flow;
  return new Proxy(flow, {
    get(target, property, receiver) {
      const join = typeof property === 'string' && !(property in target) ? unmerged[property] : undefined;
      const name = String(property);
      if (join === stepName) {
        const shas = new Set(inputs.map((input) => input.data.artifacts[name]?.sha));
        throw new ArtifactError(`Artifact '${name}' is not set in join step '${stepName}': its ${inputs.length} inputs carry it${shas.size > 1 ? ' with different values' : ''}.`, {
          hint: `call this.mergeArtifacts(inputs) before reading it, or read it per input: inputs[0].${name}`,
        });
      }
      if (join !== undefined) {
        throw new ArtifactError(`Artifact '${name}' does not reach step '${stepName}': join step '${join}' did not merge it from its inputs.`, {
          hint: `merge it in '${join}': this.mergeArtifacts(inputs), or assign this.${name} there`,
        });
      }
      return Reflect.get(target, property, receiver);
    },
  });
}

/** Checks the executed next() against the source's, and expands a foreach into stored items. */
async function checkTransition(
  step: GraphStep,
  executed: { targets: string[]; options?: NextOptions } | undefined,
  flow: FlowSpec,
  store: FlowDataStore,
  maxNumSplits: number,
): Promise<Transition | undefined> {
  if (step.type === 'end') {
    if (executed) throw new TransitionError("Step 'end' called next(); the end step has no successors.");
    return undefined;
  }
  if (!executed) throw new TransitionError(`Step '${step.name}' finished without calling next().`, { hint: 'end the step with this.next(this.<step>)' });
  const declared = `${step.next.join(',')}|${step.foreach ?? ''}`;
  if (`${executed.targets.join(',')}|${executed.options?.foreach ?? ''}` !== declared) {
    throw new TransitionError(
      `Step '${step.name}' called next(${executed.targets.join(', ')}${executed.options ? `, foreach '${executed.options.foreach}'` : ''}) but its source declares next(${step.next.join(', ')}${step.foreach ? `, foreach '${step.foreach}'` : ''}).`,
      { hint: 'every run of a step must take the transition written as its last statement' },
    );
  }
  if (!step.foreach) return { next: executed.targets };
  const items = foreachItems(step, (flow as unknown as Record<string, unknown>)[step.foreach], maxNumSplits);
  const refs = await mapLimit(items, ITEM_SAVE_CONCURRENCY, (item, i) => store.saveValue(`${step.foreach}[${i}]`, item));
  return { next: executed.targets, foreach: { var: step.foreach, items: refs } };
}

function foreachItems(step: GraphStep, value: unknown, maxNumSplits: number): unknown[] {
  const name = `foreach artifact '${step.foreach}' of step '${step.name}'`;
  if (value === undefined) throw new TransitionError(`The ${name} is not set.`, { hint: `assign this.${step.foreach} before calling next()` });
  if (value === null || typeof value !== 'object' || typeof (value as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw new TransitionError(`The ${name} is ${value === null ? 'null' : typeof value}, not an iterable.`, { hint: 'fan out over an array (or Set, Map, any iterable)' });
  }
  const items = Array.from(value as Iterable<unknown>);
  if (items.length === 0) throw new TransitionError(`The ${name} is empty: a foreach needs at least one item.`, { hint: 'skip the foreach when there is nothing to fan out over' });
  if (items.length > maxNumSplits) {
    throw new TransitionError(`The ${name} has ${items.length} items, more than --max-num-splits ${maxNumSplits}.`, { hint: `raise it: flowkit run ... --max-num-splits ${items.length}` });
  }
  return items;
}

function oneLine(error: unknown): string {
  const text = error instanceof Error ? `${errorType(error)}: ${error.message}` : String(error);
  return text.split('\n')[0] ?? text;
}
