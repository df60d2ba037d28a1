import { PassThrough, Writable } from 'node:stream';
import type { LaunchedTask, TaskExit } from '@flowkit/core/plugin';
import { describe, statusCode, withRetries, type Cluster } from './client';
import { podState, type PodState } from './podState';
import type { EventType, KubeObject } from './runWatch';

export interface JobContext {
  cluster: Cluster;
  /** How long a pod may wait on its image or config, or on a node, before its attempt fails, and the setting. */
  grace: Record<'image' | 'unschedulable', { ms: number; setting: string }>;
}

/** How long the end of a pod's log may take to arrive once the pod ended (it is in the datastore anyway). */
const LOG_DRAIN_MS = 10_000;

/**
 * One attempt as the scheduler sees any task: the run's watch hands it its Job's and pod's events; the pod's
 * log streams to stdout while it runs (followed, not polled); it has exited once the pod ended and the log was
 * read to its end. A pod that cannot start (an image that cannot be pulled, no node with room) fails the
 * attempt after a grace instead of waiting forever.
 */
export class KubeJob {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly exited: Promise<TaskExit>;
  private finish!: (exit: TaskExit) => void;
  private done = false;
  private pod?: string;
  private summary?: string;
  private log?: Promise<void>;
  private stuck?: { kind: string; reason: string; timer: NodeJS.Timeout };
  private jobFailure?: string;
  private stoppedBy?: string;
  private deleted = false;
  private deletion?: Promise<void>;
  private forced?: Promise<void>;

  constructor(
    readonly name: string,
    readonly namespace: string,
    private readonly context: JobContext,
  ) {
    this.exited = new Promise((resolve) => (this.finish = resolve));
  }

  get launched(): LaunchedTask {
    return { label: `kubernetes ${this.name}`, stdout: this.stdout, stderr: this.stderr, exited: this.exited, kill: (signal) => void this.kill(signal) };
  }

  /** Deletes the Job and its pod (Background: the apiserver would orphan the pod otherwise); SIGKILL again ends the pod now. */
  kill(signal: string): Promise<void> {
    if (this.done) return Promise.resolve();
    this.stoppedBy ??= signal === 'SIGKILL' ? 'stopped by FlowKit' : `interrupted (${signal})`;
    if (!this.deletion) return (this.deletion = this.delete());
    const pod = this.pod;
    if (signal === 'SIGKILL' && pod !== undefined) {
      this.forced ??= this.request(`delete pod ${pod}`, () => this.context.cluster.core.deleteNamespacedPod({ name: pod, namespace: this.namespace, gracePeriodSeconds: 0 }));
    }
    return this.forced ?? this.deletion;
  }

  jobEvent(type: EventType, job: KubeObject): void {
    if (this.done) return;
    const failed = (job.status?.conditions ?? []).find((c: { type: string; status: string }) => c.type === 'Failed' && c.status === 'True');
    if (failed) this.jobFailure = `Job ${failed.reason}${failed.message ? `: ${failed.message}` : ''}`;
    if (type === 'DELETED') this.deleted = true;
    // Without a pod there is nothing more to hear: the Job went (deleted) or failed before it made one.
    if (this.pod === undefined && (type === 'DELETED' || failed)) {
      this.end({ code: null, signal: null, reason: `${this.stopCause() ?? this.jobFailure} (job ${this.name})` });
    }
  }

  podEvent(type: EventType, pod: KubeObject & { spec?: unknown }): void {
    if (this.done) return;
    this.pod = pod.metadata?.name;
    if (pod.metadata?.deletionTimestamp) this.deleted = true;
    const state = podState(pod);
    if (state.started) void this.follow();
    if (state.exit) return void this.ended(state.exit, state.summary);
    if (type === 'DELETED') return void this.ended({ code: null, signal: null, reason: `the pod was deleted before it ended (pod ${this.pod})` }, 'deleted');
    this.show(state.summary);
    this.waitOut(state.stuck);
  }

  /** The run's watch lost track of its Jobs: the attempt is given up, its Job deleted. */
  lost(reason: string): void {
    void this.giveUp(reason);
  }

  /** A pod that cannot start gets its kind's grace (a new kind starts a new one); then the attempt is given up. */
  private waitOut(stuck: PodState['stuck']): void {
    if (stuck?.kind === this.stuck?.kind) {
      // The latest word (ErrImagePull, then ImagePullBackOff) is the one the task error gives.
      if (this.stuck && stuck) this.stuck.reason = stuck.reason;
      return;
    }
    clearTimeout(this.stuck?.timer);
    this.stuck = undefined;
    if (!stuck) return;
    const { ms, setting } = this.context.grace[stuck.kind];
    const timer = setTimeout(() => void this.giveUp(`${this.stuck?.reason}; gave up after ${ms / 1000} s (${setting})`), ms);
    this.stuck = { ...stuck, timer };
  }

  private show(summary: string): void {
    if (summary === this.summary) return;
    this.summary = summary;
    this.stdout.write(`Kubernetes pod ${this.pod} is ${summary}.\n`);
  }

  /** Follows the container's log into stdout, once; a request refused (the container is not up yet) is tried again. */
  private follow(): Promise<void> {
    const pod = this.pod as string;
    this.log ??= (async () => {
      const sink = new Writable({
        write: (chunk: Buffer, _encoding, callback) => {
          this.stdout.write(chunk);
          callback();
        },
      });
      const finished = new Promise<void>((resolve) => sink.on('finish', resolve));
      await new this.context.cluster.k8s.Log(this.context.cluster.kc).log(this.namespace, pod, 'main', sink, { follow: true });
      await finished;
    })().catch(() => {
      this.log = undefined;
    });
    return this.log;
  }

  private async ended(exit: TaskExit, summary: string): Promise<void> {
    this.done = true;
    clearTimeout(this.stuck?.timer);
    const stopped = exit.code === 0 ? undefined : this.stopCause();
    const reason = [stopped, exit.reason ?? (exit.code === 0 ? undefined : this.jobFailure)].filter(Boolean).join('; ');
    let timer: NodeJS.Timeout | undefined;
    if (this.log) await Promise.race([this.log, new Promise((resolve) => (timer = setTimeout(resolve, LOG_DRAIN_MS)))]);
    clearTimeout(timer);
    // Said after the log, so the line does not land inside the container's last output.
    this.show(summary);
    this.end({ ...exit, reason: reason || undefined });
  }

  /** Who ended the attempt from outside: FlowKit, or whoever deleted its Job or pod. */
  private stopCause(): string | undefined {
    if (this.stoppedBy) return `Kubernetes Job ${this.stoppedBy}`;
    return this.deleted ? 'the Kubernetes Job was deleted (flowkit kubernetes kill, kubectl delete)' : undefined;
  }

  private async giveUp(reason: string): Promise<void> {
    if (this.done) return;
    this.done = true;
    await (this.deletion ??= this.delete());
    this.end({ code: null, signal: null, reason });
  }

  private delete(): Promise<void> {
    return this.request(`delete Job ${this.name}`, () => this.context.cluster.batch.deleteNamespacedJob({ name: this.name, namespace: this.namespace, propagationPolicy: 'Background' }));
  }

  private async request(what: string, call: () => Promise<unknown>): Promise<void> {
    try {
      await withRetries(call);
    } catch (error) {
      if (statusCode(error) !== 404) this.stderr.write(`FlowKit could not ${what} in namespace ${this.namespace}: ${describe(error)}\n`);
    }
  }

  private end(exit: TaskExit): void {
    this.done = true;
    clearTimeout(this.stuck?.timer);
    this.stdout.end();
    this.stderr.end();
    this.finish(exit);
  }
}
