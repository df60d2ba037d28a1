import { FlowKitError, type FlowSpec } from '@flowkit/core';
import { parameterValues, parametersOf, readIncludedFiles } from '@flowkit/core/internal';
import {
  validateTags,
  type Config,
  type FlowDataStore,
  type FlowGraph,
  type GraphStep,
  type MetadataProvider,
  type TaskRef,
} from '@flowkit/core/plugin';
import { flowStep } from './flowClass';
import { PARAMETERS_PATH, recordParameters } from './parameters';
import { recordGraph } from './runValues';
import type { InitArgs, OrchestratedTaskArgs, TaskArgs } from './taskArgs';

/**
 * Tasks of a run that an orchestrator drives (Step Functions, Argo Workflows) instead of FlowKit's scheduler.
 * The engine gives each task its run id, step, attempt and foreach indices; everything else a scheduler would
 * hand over is derived here from the graph and the datastore, so a compiled state machine carries ids only.
 */

/** The task id of a step's task at these foreach indices: the same for every attempt, unique within the step. */
export function orchestratedTaskId(foreachIndices: number[]): string {
  return ['t', ...foreachIndices].join('-');
}

/** How many foreach splits enclose a step, which is how many indices its tasks take (a join is outside the split it closes). */
export function foreachDepth(graph: FlowGraph, step: GraphStep): number {
  const enclosing = step.type === 'join' ? step.splitParents.slice(0, -1) : step.splitParents;
  return enclosing.filter((name) => graph.steps[name]?.foreach !== undefined).length;
}

export function orchestratedRef(graph: FlowGraph, args: OrchestratedTaskArgs): TaskRef {
  const step = flowStep(graph, args.stepName);
  const depth = foreachDepth(graph, step);
  if (args.foreachIndices.length !== depth) {
    throw new FlowKitError(`Step '${step.name}' runs inside ${depth} foreach split${depth === 1 ? '' : 's'}, but its task was given ${args.foreachIndices.length} foreach ${args.foreachIndices.length === 1 ? 'index' : 'indices'}.`, {
      hint: 'pass --foreach-indices with one index per enclosing foreach, outermost first',
    });
  }
  return { flowName: graph.flowName, runId: args.runId, stepName: step.name, taskId: orchestratedTaskId(args.foreachIndices) };
}

/** The full task command of an orchestrated task: its id and inputs found, its task recorded on first attempt. */
export async function resolveOrchestratedTask(graph: FlowGraph, args: OrchestratedTaskArgs, store: FlowDataStore, metadata: MetadataProvider): Promise<TaskArgs> {
  const ref = orchestratedRef(graph, args);
  const { inputPaths, splitIndex } = await findInputs(graph, graph.steps[ref.stepName] as GraphStep, args.foreachIndices, store, args.runId);
  if (!(await metadata.getTask(ref))) await metadata.newTask(ref, { foreachIndices: args.foreachIndices, inputPaths });
  const { foreachIndices: _indices, ...common } = args;
  return { ...common, taskId: ref.taskId, inputPaths, splitIndex };
}

async function findInputs(graph: FlowGraph, step: GraphStep, indices: number[], store: FlowDataStore, runId: string): Promise<{ inputPaths: string[]; splitIndex?: number }> {
  if (step.name === 'start') return { inputPaths: [PARAMETERS_PATH] };
  const id = orchestratedTaskId;
  if (step.type === 'join') {
    const split = graph.steps[step.splitParents[step.splitParents.length - 1] as string] as GraphStep;
    if (split.foreach !== undefined) {
      const count = await splitCount(store, { flowName: graph.flowName, runId, stepName: split.name, taskId: id(indices) });
      const body = step.parents[0] as string;
      return { inputPaths: Array.from({ length: count }, (_, i) => `${body}/${id([...indices, i])}`) };
    }
    return { inputPaths: split.next.map((head) => `${branchEnd(graph, step, split, head)}/${id(indices)}`) };
  }
  const parent = graph.steps[step.parents[0] as string] as GraphStep;
  if (parent.foreach !== undefined) return { inputPaths: [`${parent.name}/${id(indices.slice(0, -1))}`], splitIndex: indices[indices.length - 1] };
  return { inputPaths: [`${parent.name}/${id(indices)}`] };
}

/** Which of a join's parents ends the branch of `split` that starts at `head` (inputs come in branch order). */
function branchEnd(graph: FlowGraph, join: GraphStep, split: GraphStep, head: string): string {
  for (const end of join.parents) {
    let step = end;
    for (let hops = 0; hops < graph.order.length && graph.steps[step]?.parents[0] !== split.name; hops++) step = graph.steps[step]?.parents[0] as string;
    if (step === head) return end;
  }
  throw new FlowKitError(`Join '${join.name}' has no input from branch '${head}' of '${split.name}'.`, { hint: 'run flowkit check on the flow' });
}

async function splitCount(store: FlowDataStore, split: TaskRef): Promise<number> {
  const latest = await store.readLatest(split);
  const items = latest?.data.transition?.foreach?.items;
  if (!items) throw new FlowKitError(`Foreach task ${split.runId}/${split.stepName}/${split.taskId} has not finished, so its join cannot know its inputs.`, { hint: 'run the join after every task of the foreach' });
  return items.length;
}

/** After a task succeeded: a foreach publishes its split count for the engine; `end` marks the run succeeded. */
export async function afterOrchestratedTask(graph: FlowGraph, ref: TaskRef, store: FlowDataStore, metadata: MetadataProvider): Promise<void> {
  const step = graph.steps[ref.stepName] as GraphStep;
  if (step.foreach !== undefined) await store.saveSplitCount(ref, await splitCount(store, ref));
  if (step.name === 'end') await metadata.finishRun(graph.flowName, ref.runId, 'succeeded');
}

/** `failed`: an engine's execution failed (a task, a timeout), so its run is recorded failed rather than left running. */
export async function failOrchestratedRun(graph: FlowGraph, runId: string, metadata: MetadataProvider): Promise<void> {
  if (!(await metadata.getRun(graph.flowName, runId))) throw new FlowKitError(`Flow ${graph.flowName} has no run ${runId} to record as failed.`, { hint: "the run's init task did not record it" });
  await metadata.finishRun(graph.flowName, runId, 'failed');
}

/**
 * `init`: records the run under the engine's id, with its parameters (given by name as text, else their
 * defaults). Repeating it (an engine's retry) changes nothing once the parameters are stored.
 */
export async function initOrchestratedRun(
  graph: FlowGraph,
  flowClass: new () => FlowSpec,
  args: InitArgs,
  context: { store: FlowDataStore; metadata: MetadataProvider; config: Config; user: string },
): Promise<void> {
  const definitions = parametersOf(new flowClass());
  const known = new Set([...definitions.values()].map((definition) => definition.name));
  const unknown = Object.keys(args.parameters).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new FlowKitError(`Flow ${graph.flowName} has no parameter ${unknown.map((name) => `'${name}'`).join(', ')}.`, { hint: `its parameters: ${[...known].join(', ') || 'none'}` });
  }
  const given = parameterValues(definitions, args.parameters, { flowName: graph.flowName, userName: context.user });
  const values = await readIncludedFiles(definitions, given, context.config, process.cwd());
  const tags = validateTags(args.tags);
  await context.metadata.newRun(graph.flowName, { runId: args.runId, user: context.user, tags, systemTags: [`user:${context.user}`, `runtime:${args.runtime}`] });
  await recordParameters(context.store, context.metadata, args.runId, { values });
  await recordGraph(context.store, context.metadata, args.runId, graph);
}
