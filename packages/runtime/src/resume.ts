import { FlowKitError, PathspecError, type FlowDataStore, type FlowGraph, type MetadataProvider, type TaskRef } from '@flowkit/core/plugin';

/** Finds, for a task about to run in a resumed run, the origin run's finished task it can be cloned from. */
export interface Cloner {
  find(stepName: string, foreachIndices: number[]): Promise<FinishedTask | undefined>;
}

/**
 * Resume semantics: the resume step (given, or else the first step in flow order with a task that did not
 * finish) and every step after it run again; every other task that finished in the origin run is cloned,
 * matched by step and foreach position.
 */
export async function planResume(options: {
  graph: FlowGraph;
  store: FlowDataStore;
  metadata: MetadataProvider;
  originRunId: string;
  step?: string;
}): Promise<{ cloner: Cloner; resumeStep?: string }> {
  const { graph, store, metadata, originRunId } = options;
  if (options.step !== undefined && !graph.steps[options.step]) {
    throw new FlowKitError(`Cannot resume from step '${options.step}': flow ${graph.flowName} has no such step.`, {
      hint: `its steps: ${graph.order.join(', ')}`,
    });
  }
  const origin = new Map<string, Promise<Map<string, FinishedTask>>>();
  const finishedTasks = (stepName: string) => {
    if (!origin.has(stepName)) origin.set(stepName, loadFinished(store, metadata, graph.flowName, originRunId, stepName));
    return origin.get(stepName) as Promise<Map<string, FinishedTask>>;
  };
  const resumeStep = options.step ?? (await firstUnfinishedStep(graph, metadata, store, originRunId));
  const rerun = resumeStep === undefined ? new Set<string>() : descendants(graph, resumeStep);
  return {
    resumeStep,
    cloner: {
      async find(stepName, foreachIndices) {
        if (rerun.has(stepName)) return undefined;
        return (await finishedTasks(stepName)).get(foreachIndices.join('.'));
      },
    },
  };
}

/** Checks the origin run exists and returns its id. */
export async function originRun(metadata: MetadataProvider, flowName: string, runId: string | undefined, user: string): Promise<string> {
  if (runId !== undefined) {
    if (!(await metadata.getRun(flowName, runId))) {
      throw new PathspecError(`Run ${flowName}/${runId} does not exist, so it cannot be resumed.`, { hint: 'pick a run id that `flowkit run` printed' });
    }
    return runId;
  }
  const latest = (await metadata.listRuns(flowName)).find((run) => run.user === user);
  if (!latest) throw new PathspecError(`${flowName} has no run by user ${user} to resume.`, { hint: 'run it first with `flowkit run`, or pass --origin-run-id' });
  return latest.runId;
}

interface FinishedTask {
  ref: TaskRef;
  attempt: number;
}

/** The step's finished tasks in the origin run, keyed by their foreach position (`2.0` = outer 2, inner 0). */
async function loadFinished(store: FlowDataStore, metadata: MetadataProvider, flowName: string, runId: string, stepName: string): Promise<Map<string, FinishedTask>> {
  const found = new Map<string, FinishedTask>();
  for (const task of await metadata.listTasks(flowName, runId, stepName)) {
    const ref: TaskRef = { flowName, runId, stepName, taskId: task.taskId };
    const latest = await store.readLatest(ref);
    if (latest) found.set(latest.data.foreachStack.map((f) => f.index).join('.'), { ref, attempt: latest.attempt });
  }
  return found;
}

/** The first step, in flow order, with a task that never finished; undefined when every recorded task finished. */
async function firstUnfinishedStep(graph: FlowGraph, metadata: MetadataProvider, store: FlowDataStore, runId: string): Promise<string | undefined> {
  for (const stepName of graph.order) {
    for (const task of await metadata.listTasks(graph.flowName, runId, stepName)) {
      if ((await store.latestDoneAttempt({ flowName: graph.flowName, runId, stepName, taskId: task.taskId })) === undefined) return stepName;
    }
  }
  return undefined;
}

function descendants(graph: FlowGraph, stepName: string): Set<string> {
  const found = new Set<string>();
  const visit = (name: string) => {
    if (found.has(name)) return;
    found.add(name);
    graph.steps[name]?.next.forEach(visit);
  };
  visit(stepName);
  return found;
}
