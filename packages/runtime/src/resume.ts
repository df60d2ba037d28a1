import { mapLimit } from '@flowkit/core/internal';
import { FlowKitError, PathspecError, type FlowDataStore, type FlowGraph, type GraphStep, type MetadataProvider, type TaskRef } from '@flowkit/core/plugin';

/** Finds, for a task about to run in a resumed run, the origin run's finished task it can be cloned from. */
export interface Cloner {
  find(stepName: string, foreachIndices: number[]): Promise<FinishedTask | undefined>;
}

const READ_CONCURRENCY = 16;

/**
 * Resume semantics: the resume step (given, or else the first step in flow order with a task that did not
 * finish) and every step after it run again. Any other step is cloned, task by task (matched by foreach
 * position), only where it still sits at the same place in the current graph as in the origin run: same
 * transition, same parents, same enclosing foreach splits, and every parent cloned too. A cloned task's stored
 * transition drives the run onwards, so cloning a step whose graph changed would replay the old flow.
 */
export async function planResume(options: {
  graph: FlowGraph;
  store: FlowDataStore;
  metadata: MetadataProvider;
  originRunId: string;
  step?: string;
}): Promise<{ cloner: Cloner; resumeStep?: string; changed: string[] }> {
  const { graph, store, metadata, originRunId } = options;
  if (options.step !== undefined && !graph.steps[options.step]) {
    throw new FlowKitError(`Cannot resume from step '${options.step}': flow ${graph.flowName} has no such step.`, {
      hint: `its steps: ${graph.order.join(', ')}`,
    });
  }
  const origin = await loadOrigin(store, metadata, graph.flowName, originRunId);
  const resumeStep = options.step ?? graph.order.find((name) => origin.get(name)?.unfinished);
  const rerun = resumeStep === undefined ? new Set<string>() : descendants(graph, resumeStep);
  const cloned = clonableSteps(graph, origin, rerun);
  // In the current flow's order; steps it no longer has come last.
  const place = (name: string) => (graph.steps[name] ? graph.order.indexOf(name) : graph.order.length);
  const changed = [...origin.keys()].filter((name) => origin.get(name)?.shape && !cloned.has(name) && !rerun.has(name)).sort((a, b) => place(a) - place(b));
  return {
    resumeStep,
    changed: changed.map((name) => `${name} (${!graph.steps[name] ? 'no longer in the flow' : sameShape(graph, origin, name) ? 'after a changed step' : 'its place in the graph changed'})`),
    cloner: {
      async find(stepName, foreachIndices) {
        return cloned.has(stepName) ? origin.get(stepName)?.finished.get(foreachIndices.join('.')) : undefined;
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

/** Where a step sat in the origin run's graph, as its finished tasks recorded it. */
interface Shape {
  next: string[];
  foreach?: string;
  /** The enclosing foreach splits, outermost first, joined by ','. */
  foreachStack: string;
}

interface OriginStep {
  /** Finished tasks, keyed by their foreach position (`2.0` = outer 2, inner 0). */
  finished: Map<string, FinishedTask>;
  unfinished: boolean;
  /** Undefined when no task of the step finished. */
  shape?: Shape;
}

/** Every step of the origin run, with its finished tasks and, from them, its place in the origin's graph. */
async function loadOrigin(store: FlowDataStore, metadata: MetadataProvider, flowName: string, runId: string): Promise<Map<string, OriginStep>> {
  const origin = new Map<string, OriginStep>();
  for (const stepName of await metadata.listSteps(flowName, runId)) {
    if (stepName.startsWith('_')) continue;
    const step: OriginStep = { finished: new Map(), unfinished: false };
    const tasks = await metadata.listTasks(flowName, runId, stepName);
    await mapLimit(tasks, READ_CONCURRENCY, async (task) => {
      const ref: TaskRef = { flowName, runId, stepName, taskId: task.taskId };
      const { latestDone: attempt, logsSaved } = await store.attemptOutcome(ref);
      // Finished, but its logs were lost (disk full): cloned, it would come back without its output.
      if (attempt === undefined || !logsSaved) {
        step.unfinished = true;
        return;
      }
      const { foreachStack, transition } = await store.readAttempt(ref, attempt);
      step.finished.set(foreachStack.map((f) => f.index).join('.'), { ref, attempt });
      step.shape ??= { next: transition?.next ?? [], foreach: transition?.foreach?.var, foreachStack: foreachStack.map((f) => f.step).join(',') };
    });
    origin.set(stepName, step);
  }
  return origin;
}

/** The current graph's steps whose origin tasks may be cloned: same shape, same parents, every parent cloned. */
function clonableSteps(graph: FlowGraph, origin: Map<string, OriginStep>, rerun: Set<string>): Set<string> {
  const memo = new Map<string, boolean>();
  const clonable = (name: string): boolean => {
    if (!memo.has(name)) {
      const step = graph.steps[name] as GraphStep;
      memo.set(name, !rerun.has(name) && sameShape(graph, origin, name) && step.parents.every(clonable));
    }
    return memo.get(name) as boolean;
  };
  return new Set(graph.order.filter(clonable));
}

/** True when the step ran in the origin run at the same place (transition, parents, foreach nesting) it has now. */
function sameShape(graph: FlowGraph, origin: Map<string, OriginStep>, name: string): boolean {
  const step = graph.steps[name];
  const shape = origin.get(name)?.shape;
  if (!step || !shape) return false;
  const originParents = [...origin].filter(([, s]) => s.shape?.next.includes(name)).map(([parent]) => parent);
  return (
    shape.next.join(',') === step.next.join(',') &&
    shape.foreach === step.foreach &&
    shape.foreachStack === foreachSplitsOf(graph, step).join(',') &&
    originParents.sort().join(',') === [...step.parents].sort().join(',')
  );
}

/** The foreach splits enclosing a step, outermost first, as its tasks' foreach stacks record them. */
function foreachSplitsOf(graph: FlowGraph, step: GraphStep): string[] {
  // A join's split parents end with the split it closes, which no longer encloses it.
  const open = step.type === 'join' ? step.splitParents.slice(0, -1) : step.splitParents;
  return open.filter((name) => graph.steps[name]?.foreach !== undefined);
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
