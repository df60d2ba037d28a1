import type { TaskExit } from '@flowkit/core/plugin';
import type { KubeObject } from './runWatch';

/** Waiting reasons that do not heal by themselves in a task's time: the task fails once the grace is over. */
const STUCK_WAITING = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull', 'CreateContainerConfigError', 'CreateContainerError']);

/** What an attempt's pod says about it, read from one watch event. */
export interface PodState {
  /** Shown when it changes: `Pending (ContainerCreating)`, `Running`, `Failed (OOMKilled)`. */
  summary: string;
  /** The container has started: its log can be followed. */
  started: boolean;
  /** Why the pod cannot start; after the grace of its kind, the task fails with this reason. */
  stuck?: { kind: 'image' | 'unschedulable'; reason: string };
  /** Set once the pod has ended. */
  exit?: TaskExit;
}

interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: unknown;
  terminated?: { exitCode?: number; reason?: string; message?: string };
}

export function podState(pod: KubeObject & { spec?: any }): PodState {
  const status = pod.status ?? {};
  const state: ContainerState = status.containerStatuses?.[0]?.state ?? {};
  const phase: string = status.phase ?? 'Pending';
  const started = state.running !== undefined || state.terminated !== undefined;
  if (phase === 'Succeeded') return { summary: phase, started, exit: { code: 0, signal: null } };
  if (phase === 'Failed') {
    const why = failure(pod, state);
    const exit = { code: state.terminated?.exitCode ?? null, signal: null, reason: why };
    return { summary: `Failed (${status.reason ?? state.terminated?.reason ?? 'Error'})`, started, exit };
  }
  const waiting = state.waiting?.reason;
  if (waiting && STUCK_WAITING.has(waiting)) {
    const image = pod.spec?.containers?.[0]?.image;
    const reason = `${waiting}: ${state.waiting?.message ?? `image ${image}`} (pod ${pod.metadata?.name})`;
    return { summary: `${phase} (${waiting})`, started, stuck: { kind: 'image', reason } };
  }
  const scheduled = (status.conditions ?? []).find((c: { type: string }) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    const reason = `Unschedulable: ${scheduled.message ?? 'no node can run the pod'} (pod ${pod.metadata?.name})`;
    return { summary: `${phase} (Unschedulable)`, started, stuck: { kind: 'unschedulable', reason } };
  }
  return { summary: waiting ? `${phase} (${waiting})` : phase, started };
}

/** The pod's and the container's own words for a failure, when they say more than "Error". */
function failure(pod: KubeObject & { spec?: any }, state: ContainerState): string | undefined {
  const status = pod.status ?? {};
  const parts: string[] = [];
  if (status.reason) parts.push(status.message ? `${status.reason}: ${status.message}` : status.reason);
  const container = state.terminated;
  if (container?.reason === 'OOMKilled') {
    const limit = pod.spec?.containers?.[0]?.resources?.limits?.memory;
    parts.push(`OOMKilled: the container went past its memory limit${limit ? ` (${limit})` : ''}`);
  } else if (container?.reason && container.reason !== 'Error' && container.reason !== 'Completed') {
    parts.push(container.message ? `${container.reason}: ${container.message}` : container.reason);
  }
  return parts.length > 0 ? `${parts.join('; ')} (pod ${pod.metadata?.name})` : undefined;
}
