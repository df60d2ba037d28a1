import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ContainerLog } from './logs';
import { pullFailure, unschedulable } from './nodeFaults';
import type { ObjectStore, StoreEvent } from './objects';
import { buildLaunch, ContainerConfigError } from './podEnv';
import { containerStatus, podConditions, setCondition } from './podStatus';
import { ContainerProcess, type ContainerExit } from './processes';
import type { Pod } from './types';
import { kubeTime } from './types';

export const NODE_NAME = 'flowkit-test-node';

/** Why the kubelet itself stopped a container; it becomes the pod's (and container's) reason. */
interface StopCause {
  podReason?: string;
  podMessage?: string;
  containerReason?: string;
  disruption?: boolean;
}

interface PodRuntime {
  namespace: string;
  name: string;
  dir: string;
  log: ContainerLog;
  state: 'new' | 'waiting' | 'pulling' | 'starting' | 'running' | 'done';
  process?: ContainerProcess;
  containerID?: string;
  startedAt?: string;
  stop?: StopCause;
  terminating: boolean;
  timers: Set<NodeJS.Timeout>;
}

export interface KubeletOptions {
  /** Delay between the steps a watcher should be able to see (scheduled, container created, running). */
  stepMs: number;
  /** A grace period of `seconds` as this server applies it (tests cap it). */
  graceMs: (seconds: number) => number;
  podsDir: string;
  /** What the node can allocate (`{ cpu: '4' }`): a pod requesting more stays Pending as Unschedulable. */
  capacity: Record<string, string>;
  /** Images whose pull fails: the container waits in ErrImagePull, then ImagePullBackOff, until the pod goes. */
  unpullableImages: Set<string>;
}

/**
 * The one node: it picks up every new pod from the store, runs its first container as a local process and
 * writes the pod's status as a kubelet does; it also carries out graceful deletion (SIGTERM, grace period,
 * SIGKILL, then the pod object goes) and the faults tests inject (eviction, OOM kill).
 */
export class Kubelet {
  private readonly pods = new Map<string, PodRuntime>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: ObjectStore,
    private readonly options: KubeletOptions,
  ) {
    this.unsubscribe = store.subscribe((event) => this.observe(event));
  }

  log(namespace: string, name: string): ContainerLog | undefined {
    return this.pods.get(`${namespace}/${name}`)?.log;
  }

  pid(namespace: string, name: string): number | undefined {
    return this.pods.get(`${namespace}/${name}`)?.process?.pid;
  }

  /** The kubelet's eviction under node pressure: the container is killed at once, the pod fails as `Evicted`. */
  evict(namespace: string, name: string): void {
    this.stopContainer(this.runtime(namespace, name), {
      podReason: 'Evicted',
      podMessage: 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 0Ki.',
      disruption: true,
    });
  }

  /** The kernel's OOM killer: the container dies with 137 and the reason `OOMKilled`. */
  oomKill(namespace: string, name: string): void {
    this.stopContainer(this.runtime(namespace, name), { containerReason: 'OOMKilled' });
  }

  /** Kills every container and forgets every pod, for the server's stop. */
  stop(): void {
    this.unsubscribe();
    for (const runtime of this.pods.values()) {
      for (const timer of runtime.timers) clearTimeout(timer);
      runtime.process?.kill();
      runtime.log.close();
    }
    this.pods.clear();
  }

  private runtime(namespace: string, name: string): PodRuntime {
    const runtime = this.pods.get(`${namespace}/${name}`);
    if (!runtime || runtime.state === 'done') throw new Error(`pod ${namespace}/${name} is not running on the test node`);
    return runtime;
  }

  private observe(event: StoreEvent): void {
    if (event.resource === 'secrets' && event.type !== 'DELETED') {
      for (const runtime of this.pods.values()) {
        if (runtime.state === 'waiting' && runtime.namespace === event.object.metadata.namespace) {
          this.later(runtime, () => this.create(runtime));
        }
      }
      return;
    }
    if (event.resource !== 'pods') return;
    const pod = event.object as Pod;
    const namespace = pod.metadata.namespace ?? 'default';
    const key = `${namespace}/${pod.metadata.name}`;
    if (event.type === 'ADDED') {
      const dir = join(this.options.podsDir, namespace, pod.metadata.name);
      const runtime: PodRuntime = {
        namespace,
        name: pod.metadata.name,
        dir,
        log: new ContainerLog(),
        state: 'new',
        terminating: false,
        timers: new Set(),
      };
      this.pods.set(key, runtime);
      this.later(runtime, () => this.schedule(runtime));
    } else if (event.type === 'DELETED') {
      const runtime = this.pods.get(key);
      if (!runtime) return;
      for (const timer of runtime.timers) clearTimeout(timer);
      runtime.process?.kill();
      runtime.log.close();
      this.pods.delete(key);
    } else if (pod.metadata.deletionTimestamp) {
      const runtime = this.pods.get(key);
      if (runtime && !runtime.terminating) this.terminate(runtime, pod.metadata.deletionGracePeriodSeconds ?? 30);
    }
  }

  private later(runtime: PodRuntime, step: () => void): void {
    const timer = setTimeout(() => {
      runtime.timers.delete(timer);
      step();
    }, this.options.stepMs);
    runtime.timers.add(timer);
  }

  private update(runtime: PodRuntime, change: (pod: Pod) => void): Pod | undefined {
    return this.store.modify<Pod>('pods', runtime.namespace, runtime.name, change);
  }

  /** Binding and the kubelet's admission: the pod is on the node and its container is being created. */
  private schedule(runtime: PodRuntime): void {
    const current = this.store.get<Pod>('pods', runtime.namespace, runtime.name);
    const refused = current && unschedulable(current, this.options.capacity);
    if (refused) {
      // The scheduler's verdict; the pod stays Pending, unbound, until it is deleted.
      this.update(runtime, (p) => setCondition((p.status.conditions ??= []), 'PodScheduled', 'False', 'Unschedulable', refused));
      return;
    }
    mkdirSync(runtime.dir, { recursive: true });
    const pod = this.update(runtime, (p) => {
      p.spec.nodeName = NODE_NAME;
      p.status.hostIP = '127.0.0.1';
      p.status.podIP = '127.0.0.1';
      p.status.startTime = kubeTime();
      podConditions(p, 'scheduled');
      p.status.containerStatuses = [containerStatus(p, { waiting: { reason: 'ContainerCreating' } })];
    });
    const deadline = pod?.spec.activeDeadlineSeconds;
    if (deadline !== undefined) {
      const timer = setTimeout(() => {
        runtime.timers.delete(timer);
        this.deadlineExceeded(runtime);
      }, deadline * 1000);
      runtime.timers.add(timer);
    }
    this.create(runtime);
  }

  /** Resolves the container's config; a missing secret leaves it waiting until the secret appears. */
  private create(runtime: PodRuntime): void {
    const pod = this.store.get<Pod>('pods', runtime.namespace, runtime.name);
    const container = pod?.spec.containers[0];
    if (!pod || !container || runtime.terminating || runtime.state === 'done') return;
    if (this.options.unpullableImages.has(container.image)) return this.failPull(runtime, false);
    try {
      const launch = buildLaunch(this.store, pod, container, runtime.dir);
      runtime.state = 'starting';
      this.later(runtime, () => this.start(runtime, launch, pod));
    } catch (error) {
      if (!(error instanceof ContainerConfigError)) throw error;
      runtime.state = 'waiting';
      this.update(runtime, (p) => {
        const waiting = { reason: 'CreateContainerConfigError', message: error.message };
        p.status.containerStatuses = [containerStatus(p, { waiting })];
      });
    }
  }

  /** The pull fails, then the kubelet backs off; the container never starts. */
  private failPull(runtime: PodRuntime, backOff: boolean): void {
    runtime.state = 'pulling';
    this.update(runtime, (p) => {
      p.status.containerStatuses = [containerStatus(p, { waiting: pullFailure(p.spec.containers[0]?.image ?? '', backOff) })];
    });
    if (!backOff) this.later(runtime, () => this.failPull(runtime, true));
  }

  private start(runtime: PodRuntime, launch: ReturnType<typeof buildLaunch>, pod: Pod): void {
    if (runtime.terminating) return;
    const workingDir = pod.spec.containers[0]?.workingDir;
    const cwd = workingDir ? join(runtime.dir, workingDir) : runtime.dir;
    mkdirSync(cwd, { recursive: true });
    runtime.containerID = `containerd://${randomBytes(32).toString('hex')}`;
    runtime.process = new ContainerProcess(
      launch,
      cwd,
      runtime.log,
      () => {
        runtime.state = 'running';
        runtime.startedAt = kubeTime();
        this.update(runtime, (p) => {
          podConditions(p, 'running');
          p.status.phase = 'Running';
          const running = { startedAt: runtime.startedAt as string };
          p.status.containerStatuses = [containerStatus(p, { running }, runtime.containerID)];
        });
      },
      (exit) => this.exited(runtime, exit),
    );
  }

  private exited(runtime: PodRuntime, exit: ContainerExit): void {
    runtime.state = 'done';
    for (const timer of runtime.timers) clearTimeout(timer);
    const stop = runtime.stop ?? {};
    const reason = exit.startError ? 'StartError' : (stop.containerReason ?? (exit.exitCode === 0 ? 'Completed' : 'Error'));
    const terminated: NonNullable<Pod['status']['containerStatuses']>[number]['state']['terminated'] = {
      exitCode: exit.exitCode,
      reason,
      startedAt: runtime.startedAt ?? kubeTime(new Date(0)),
      finishedAt: kubeTime(),
      containerID: runtime.containerID as string,
    };
    if (exit.signal !== undefined) terminated.signal = exit.signal;
    if (exit.startError) terminated.message = exit.startError;
    const pod = this.update(runtime, (p) => {
      this.finish(p, stop, exit.exitCode === 0 && !stop.podReason);
      p.status.containerStatuses = [containerStatus(p, { terminated }, runtime.containerID)];
    });
    if (pod?.metadata.deletionTimestamp) this.store.remove('pods', runtime.namespace, runtime.name);
  }

  private finish(pod: Pod, stop: StopCause, succeeded: boolean): void {
    pod.status.phase = succeeded ? 'Succeeded' : 'Failed';
    podConditions(pod, 'done');
    if (stop.podReason) pod.status.reason = stop.podReason;
    if (stop.podMessage) pod.status.message = stop.podMessage;
    if (stop.disruption) {
      setCondition(pod.status.conditions ?? [], 'DisruptionTarget', 'True', 'TerminationByKubelet', stop.podMessage);
    }
  }

  /** Kills the container now; a pod whose container never started is failed as the kubelet reports it. */
  private stopContainer(runtime: PodRuntime, cause: StopCause): void {
    runtime.stop = cause;
    if (runtime.process && runtime.state !== 'done') {
      runtime.process.kill();
      return;
    }
    runtime.state = 'done';
    for (const timer of runtime.timers) clearTimeout(timer);
    runtime.log.close();
    this.update(runtime, (p) => {
      this.finish(p, cause, false);
      p.status.containerStatuses = [
        containerStatus(p, {
          terminated: {
            exitCode: 137,
            reason: 'ContainerStatusUnknown',
            message: 'The container could not be located when the pod was terminated',
            finishedAt: kubeTime(),
          },
        }),
      ];
    });
  }

  private deadlineExceeded(runtime: PodRuntime): void {
    if (runtime.state === 'done') return;
    runtime.stop = { podReason: 'DeadlineExceeded', podMessage: 'Pod was active on the node longer than the specified deadline' };
    const pod = this.store.get<Pod>('pods', runtime.namespace, runtime.name);
    if (runtime.process) runtime.process.terminate(this.options.graceMs(pod?.spec.terminationGracePeriodSeconds ?? 30));
    else this.stopContainer(runtime, runtime.stop);
  }

  /** Graceful deletion: SIGTERM, SIGKILL after the grace period, then the pod object is removed. */
  private terminate(runtime: PodRuntime, graceSeconds: number): void {
    runtime.terminating = true;
    if (runtime.process && runtime.state !== 'done') {
      runtime.process.terminate(this.options.graceMs(graceSeconds));
      return;
    }
    for (const timer of runtime.timers) clearTimeout(timer);
    this.store.remove('pods', runtime.namespace, runtime.name);
  }
}
