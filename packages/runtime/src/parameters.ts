import { FlowKitError, type FlowDataStore, type MetadataProvider, type TaskRef } from '@flowkit/core/plugin';

/** The pseudo-task holding a run's parameter values, the input of `start`. */
export const PARAMETERS_PATH = '_parameters/0';

/**
 * Records a run's parameters as the finished attempt 0 of `_parameters/0`: the given values, or (resume) the
 * origin run's, cloned. Once stored they never change, so recording again does nothing.
 */
export async function recordParameters(store: FlowDataStore, metadata: MetadataProvider, runId: string, source: { values: Map<string, unknown> } | { originRunId: string }): Promise<void> {
  const ref: TaskRef = { flowName: store.flowName, runId, stepName: '_parameters', taskId: '0' };
  if ((await store.latestDoneAttempt(ref)) !== undefined) return;
  await metadata.newTask(ref);
  if ('values' in source) {
    const refs = await store.saveArtifacts(source.values);
    await store.commitAttempt(ref, 0, { artifacts: Object.fromEntries(refs), foreachStack: [] });
  } else {
    const origin = { ...ref, runId: source.originRunId };
    const attempt = await store.latestDoneAttempt(origin);
    if (attempt === undefined) throw new FlowKitError(`Run ${store.flowName}/${source.originRunId} never stored its parameters, so it cannot be resumed.`, { hint: 'start a new run' });
    await store.cloneAttempt(origin, attempt, ref, 0);
  }
  if (metadata.registerArtifacts) await metadata.registerArtifacts(ref, 0, (await store.readAttempt(ref, 0)).artifacts);
}
