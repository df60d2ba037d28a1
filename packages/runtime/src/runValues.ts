import { GRAPH_STEP, runGraphOf, type FlowDataStore, type FlowGraph, type MetadataProvider, type TaskRef } from '@flowkit/core/plugin';

/**
 * Stores values with a run as the artifacts of the finished attempt 0 of a pseudo-task, `<stepName>/0` (readers
 * skip steps named `_...`). Once stored they never change, so recording again (an engine's retry) does nothing.
 */
export async function recordRunValues(store: FlowDataStore, metadata: MetadataProvider, runId: string, stepName: string, values: Record<string, unknown>): Promise<void> {
  const ref: TaskRef = { flowName: store.flowName, runId, stepName, taskId: '0' };
  if ((await store.latestDoneAttempt(ref)) !== undefined) return;
  await metadata.newTask(ref);
  const refs = await store.saveArtifacts(new Map(Object.entries(values)));
  await store.commitAttempt(ref, 0, { artifacts: Object.fromEntries(refs), foreachStack: [] });
}

/** Stores the graph a run runs with (a resumed run: its own code's), so readers can draw steps before they run. */
export function recordGraph(store: FlowDataStore, metadata: MetadataProvider, runId: string, graph: FlowGraph): Promise<void> {
  return recordRunValues(store, metadata, runId, GRAPH_STEP, { graph: runGraphOf(graph) });
}
