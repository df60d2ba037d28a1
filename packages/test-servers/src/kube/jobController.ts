import type { ObjectStore, StoreEvent } from './objects';
import { setCondition } from './podStatus';
import { deletePod, isFinished, ownedBy, podForJob } from './pods';
import { notFound, successStatus, type Status } from './status';
import type { Job, KubeObject, Pod } from './types';
import { kubeTime } from './types';

export type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground';

interface Failure {
  reason: 'BackoffLimitExceeded' | 'DeadlineExceeded';
  message: string;
}

/** What the controller remembers about a Job between syncs: which pods it has counted, its timers. */
interface Tracked {
  namespace: string;
  name: string;
  succeeded: Set<string>;
  failed: Set<string>;
  failure?: Failure;
  finished: boolean;
  syncQueued: boolean;
  deadline?: NodeJS.Timeout;
  /** A retry pod waiting out its backoff; it already counts as active, as in the real controller. */
  retry?: NodeJS.Timeout;
  ttl?: NodeJS.Timeout;
}

/**
 * The Job controller and the garbage collector for Jobs: one pod per attempt, retries up to backoffLimit,
 * activeDeadlineSeconds, the Job's conditions and counts, ttlSecondsAfterFinished, and cascading deletion.
 * Like the real controller it is level-triggered: any change to a Job or its pods queues a sync of that Job.
 */
export class JobController {
  private readonly jobs = new Map<string, Tracked>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: ObjectStore,
    private readonly stepMs: number,
  ) {
    this.unsubscribe = store.subscribe((event) => this.observe(event));
  }

  stop(): void {
    this.unsubscribe();
    for (const tracked of this.jobs.values()) clearTimers(tracked);
    this.jobs.clear();
  }

  /**
   * DELETE of a Job. batch/v1 keeps the legacy default of orphaning the pods (the apiserver warns about it);
   * Background removes the Job now and its pods after; Foreground removes the pods first, then the Job.
   */
  deleteJob(namespace: string, name: string, policy: PropagationPolicy, graceSeconds?: number): KubeObject | Status {
    const job = this.store.get<Job>('jobs', namespace, name);
    if (!job) throw notFound('jobs', 'batch', name);
    const pods = this.store.list<Pod>('pods', namespace).filter((p) => ownedBy(p, job.metadata.uid));
    if (policy === 'Background') {
      this.store.remove('jobs', namespace, name);
      for (const pod of pods) deletePod(this.store, namespace, pod.metadata.name, graceSeconds);
      return successStatus({ name, group: 'batch', kind: 'jobs', uid: job.metadata.uid });
    }
    const finalizer = policy === 'Orphan' ? 'orphan' : 'foregroundDeletion';
    const marked = this.store.modify<Job>('jobs', namespace, name, (j) => {
      j.metadata.deletionTimestamp ??= kubeTime();
      j.metadata.deletionGracePeriodSeconds = 0;
      j.metadata.finalizers = [...new Set([...(j.metadata.finalizers ?? []), finalizer])];
    });
    if (policy === 'Orphan') {
      for (const pod of pods) {
        this.store.modify<Pod>('pods', namespace, pod.metadata.name, (p) => {
          p.metadata.ownerReferences = (p.metadata.ownerReferences ?? []).filter((r) => r.uid !== job.metadata.uid);
          if (p.metadata.ownerReferences.length === 0) delete p.metadata.ownerReferences;
        });
      }
      this.store.remove('jobs', namespace, name);
    } else {
      for (const pod of pods) deletePod(this.store, namespace, pod.metadata.name, graceSeconds);
      this.queueSync(job.metadata.uid);
    }
    return marked as Job;
  }

  private observe(event: StoreEvent): void {
    if (event.resource === 'jobs') {
      const uid = event.object.metadata.uid;
      if (event.type === 'ADDED') {
        const { namespace = 'default', name } = event.object.metadata;
        const tracked: Tracked = { namespace, name, succeeded: new Set(), failed: new Set(), finished: false, syncQueued: false };
        this.jobs.set(uid, tracked);
        const seconds = (event.object as Job).spec.activeDeadlineSeconds;
        if (seconds !== undefined) {
          tracked.deadline = setTimeout(() => {
            tracked.failure ??= { reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };
            this.queueSync(uid);
          }, seconds * 1000);
        }
      } else if (event.type === 'DELETED') {
        const tracked = this.jobs.get(uid);
        if (tracked) clearTimers(tracked);
        this.jobs.delete(uid);
        return;
      }
      this.queueSync(uid);
      return;
    }
    if (event.resource !== 'pods') return;
    const pod = event.object as Pod;
    for (const ref of pod.metadata.ownerReferences ?? []) {
      const tracked = this.jobs.get(ref.uid);
      if (!tracked || ref.controller !== true) continue;
      const podUid = pod.metadata.uid;
      if (pod.status.phase === 'Succeeded') tracked.succeeded.add(podUid);
      else if (pod.status.phase === 'Failed' || (event.type === 'DELETED' && !tracked.succeeded.has(podUid))) {
        tracked.failed.add(podUid);
      }
      this.queueSync(ref.uid);
    }
  }

  private queueSync(uid: string): void {
    const tracked = this.jobs.get(uid);
    if (!tracked || tracked.syncQueued) return;
    tracked.syncQueued = true;
    setImmediate(() => {
      tracked.syncQueued = false;
      if (this.jobs.get(uid) === tracked) this.sync(uid, tracked);
    });
  }

  private sync(uid: string, tracked: Tracked): void {
    const job = this.store.get<Job>('jobs', tracked.namespace, tracked.name);
    if (!job || job.metadata.uid !== uid) return;
    const owned = () => this.store.list<Pod>('pods', tracked.namespace).filter((p) => ownedBy(p, uid));
    if (job.metadata.deletionTimestamp) {
      if (owned().length === 0) this.store.remove('jobs', tracked.namespace, tracked.name);
      return;
    }
    if (tracked.finished) return;
    if (!tracked.failure && tracked.failed.size > job.spec.backoffLimit) {
      tracked.failure = { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
    }
    // Once the Job is set to fail, a pod that still exits 0 (say on SIGTERM) does not make it succeed.
    const succeeded = !tracked.failure && tracked.succeeded.size >= job.spec.completions;
    const unfinished = owned().filter((p) => !isFinished(p));
    if (tracked.failure) {
      for (const pod of unfinished) deletePod(this.store, tracked.namespace, pod.metadata.name);
    } else if (!succeeded && unfinished.length === 0 && !tracked.retry) {
      this.createPod(uid, tracked);
    }
    const running = owned().filter((p) => !isFinished(p));
    const done = succeeded || (tracked.failure !== undefined && running.length === 0);
    this.writeStatus(tracked, running, succeeded, done);
    if (done) this.finished(tracked, job);
  }

  /** Counts and conditions as the real controller writes them; `running` are the pods not finished yet. */
  private writeStatus(tracked: Tracked, running: Pod[], succeeded: boolean, done: boolean): void {
    const active = running.filter((p) => !p.metadata.deletionTimestamp);
    const now = kubeTime();
    this.store.modify<Job>('jobs', tracked.namespace, tracked.name, (j) => {
      const status = j.status;
      const conditions = (status.conditions ??= []);
      status.startTime ??= now;
      setCount(status, 'active', active.length + (tracked.retry ? 1 : 0));
      status.ready = active.filter((p) => p.status.phase === 'Running').length;
      status.terminating = running.length - active.length;
      setCount(status, 'succeeded', tracked.succeeded.size);
      setCount(status, 'failed', tracked.failed.size);
      if (succeeded) {
        const message = 'Reached expected number of succeeded pods';
        setCondition(conditions, 'SuccessCriteriaMet', 'True', 'CompletionsReached', message);
        setCondition(conditions, 'Complete', 'True', 'CompletionsReached', message);
        status.completionTime = now;
      } else if (tracked.failure) {
        setCondition(conditions, 'FailureTarget', 'True', tracked.failure.reason, tracked.failure.message);
        if (done) setCondition(conditions, 'Failed', 'True', tracked.failure.reason, tracked.failure.message);
      }
      if (conditions.length === 0) delete status.conditions;
    });
  }

  /** The first pod now; a retry after a backoff (a step here, 10 s doubling in a cluster). */
  private createPod(uid: string, tracked: Tracked): void {
    const create = () => {
      const current = this.store.get<Job>('jobs', tracked.namespace, tracked.name);
      if (!current || current.metadata.uid !== uid || tracked.failure || current.metadata.deletionTimestamp) return;
      this.store.create('pods', podForJob(this.store, current));
    };
    if (tracked.failed.size === 0) return create();
    tracked.retry = setTimeout(() => {
      tracked.retry = undefined;
      create();
      this.queueSync(uid);
    }, this.stepMs);
  }

  private finished(tracked: Tracked, job: Job): void {
    tracked.finished = true;
    clearTimers(tracked);
    const ttl = job.spec.ttlSecondsAfterFinished;
    if (ttl === undefined) return;
    tracked.ttl = setTimeout(() => {
      if (this.store.has('jobs', tracked.namespace, tracked.name)) {
        this.deleteJob(tracked.namespace, tracked.name, 'Background');
      }
    }, ttl * 1000);
  }
}

function clearTimers(tracked: Tracked): void {
  for (const timer of [tracked.deadline, tracked.retry, tracked.ttl]) if (timer) clearTimeout(timer);
  tracked.deadline = tracked.retry = tracked.ttl = undefined;
}

function setCount(status: Job['status'], field: 'active' | 'succeeded' | 'failed', value: number): void {
  if (value > 0) status[field] = value;
  else delete status[field];
}
