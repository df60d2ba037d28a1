import type { MetadataProvider, TaskRef } from '@flowkit/core/plugin';

/**
 * Tells a provider that tracks liveness (the service) every `seconds` that a run and these of its tasks are alive,
 * one call at a time; a failed call is reported, not thrown. Returns what stops it (nothing to stop without one).
 */
export function startHeartbeats(metadata: MetadataProvider, run: { flowName: string; runId: string }, seconds: number, running: () => TaskRef[], report: (message: string) => void): () => void {
  if (!metadata.heartbeat) return () => undefined;
  const beat = metadata.heartbeat.bind(metadata);
  let pending = false;
  const timer = setInterval(() => {
    if (pending) return;
    pending = true;
    beat(run.flowName, run.runId, running())
      .catch((error: unknown) => report(`Heartbeat to metadata provider '${metadata.name}' failed: ${(error as Error).message}`))
      .finally(() => (pending = false));
  }, seconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
