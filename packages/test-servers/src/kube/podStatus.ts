/** The status a kubelet writes for a pod at each step, with the conditions it keeps alongside. */
import type { Condition, ContainerState, ContainerStatus, Pod } from './types';
import { kubeTime } from './types';

/** Sets a condition, keeping its lastTransitionTime when its status does not change. */
export function setCondition(
  conditions: Condition[],
  type: string,
  status: Condition['status'],
  reason?: string,
  message?: string,
): void {
  const existing = conditions.find((c) => c.type === type);
  const next: Condition = { type, status, lastProbeTime: null, lastTransitionTime: kubeTime() };
  if (reason) next.reason = reason;
  if (message) next.message = message;
  if (existing) {
    if (existing.status === status) next.lastTransitionTime = existing.lastTransitionTime;
    Object.keys(existing).forEach((k) => delete (existing as unknown as Record<string, unknown>)[k]);
    Object.assign(existing, next);
  } else {
    conditions.push(next);
  }
}

export type PodStep = 'scheduled' | 'running' | 'done';

/** The pod conditions the kubelet reports at each step of the pod's life. */
export function podConditions(pod: Pod, step: PodStep): void {
  const conditions = (pod.status.conditions ??= []);
  setCondition(conditions, 'PodReadyToStartContainers', step === 'running' ? 'True' : 'False');
  setCondition(conditions, 'Initialized', 'True');
  const ready = step === 'running' ? 'True' : 'False';
  const why = step === 'done' ? 'PodCompleted' : step === 'scheduled' ? 'ContainersNotReady' : undefined;
  const message = step === 'scheduled' ? `containers with unready status: [${pod.spec.containers[0]?.name}]` : undefined;
  setCondition(conditions, 'Ready', ready, why, message);
  setCondition(conditions, 'ContainersReady', ready, why, message);
  setCondition(conditions, 'PodScheduled', 'True');
}

/** The status of the pod's one container in the given state. */
export function containerStatus(pod: Pod, state: ContainerState, containerID?: string): ContainerStatus {
  const container = pod.spec.containers[0];
  const status: ContainerStatus = {
    name: container?.name ?? '',
    image: container?.image ?? '',
    imageID: '',
    ready: state.running !== undefined,
    started: state.running !== undefined,
    restartCount: 0,
    state,
    lastState: {},
  };
  if (containerID) status.containerID = containerID;
  return status;
}

/** Guaranteed when every container's cpu and memory limits equal its requests, BestEffort when none are set. */
export function qosClass(pod: Pod): string {
  let any = false;
  let guaranteed = true;
  for (const c of pod.spec.containers) {
    const limits = c.resources?.limits ?? {};
    const requests = { ...limits, ...(c.resources?.requests ?? {}) };
    for (const r of ['cpu', 'memory']) {
      if (limits[r] !== undefined || requests[r] !== undefined) any = true;
      if (limits[r] === undefined || requests[r] !== limits[r]) guaranteed = false;
    }
  }
  return !any ? 'BestEffort' : guaranteed ? 'Guaranteed' : 'Burstable';
}
