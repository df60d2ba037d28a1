import { appendFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { FlowDataStore, FlowGraph, LaunchPlan, LaunchedTask, Launcher, MetadataProvider, TaskEventIds, TaskExit, TaskRef } from '@flowkit/core/plugin';
import type { RunConsole } from './console';
import type { RunEvents } from './events';
import { diedOutcome, exitCause } from './exits';
import { startHeartbeats } from './heartbeats';
import { PARAMETERS_PATH } from './parameters';
import { readTaskRecords, writeTaskRecords } from './records';
import type { StepProgress } from './progress';
import type { Cloner } from './resume';
import type { TaskArgs } from './taskArgs';
import type { TaskLaunches, TrackedLaunch } from './taskLaunch';
import { captureStream } from './taskOutput';

/** One enclosing split, as the scheduler tracks it to know when a join has all its inputs. */
interface SplitFrame {
  splitTaskId: string;
  expected: number;
  /** This branch's position: the foreach index or the branch number. */
  index: number;
  foreach: boolean;
}

interface PendingTask {
  stepName: string;
  inputPaths: string[];
  splitIndex?: number;
  frames: SplitFrame[];
}

interface RunningTask {
  task: PendingTask;
  ref: TaskRef;
  attempt: number;
  launch: TrackedLaunch;
  launched: LaunchedTask;
  /** Why the launcher could not start it, when it could not. */
  launchFailure?: string;
  startedAt: number;
}

export interface SchedulerContext {
  graph: FlowGraph;
  runId: string;
  store: FlowDataStore;
  metadata: MetadataProvider;
  console: RunConsole;
  maxWorkers: number;
  /** Seconds between heartbeats to a metadata provider that tracks liveness. */
  heartbeatSeconds: number;
  /** Task arguments every task of the run shares. */
  taskArgs: Pick<TaskArgs, 'maxNumSplits' | 'datastore' | 'datastoreRoot' | 'metadata' | 'localRoot' | 'originRunId' | 'withSpecs'>;
  /** How to launch a step's tasks (decorators applied). */
  launchPlan(stepName: string): LaunchPlan;
  /** Where a step's tasks run unless a compute decorator takes them: local processes. */
  launcher: Launcher;
  launches: TaskLaunches;
  /** The local root, when the metadata provider keeps its records there: records of tasks that ran elsewhere are copied in. */
  hostBoundRoot?: string;
  events: RunEvents;
  /** On resume: finds the origin run's finished task to clone instead of running one. */
  cloner?: Cloner;
}

/** How long a task gets between SIGTERM and SIGKILL when the run is stopped. */
const KILL_GRACE_MS = 5000;

/**
 * Drives one run: keeps a queue of ready tasks, runs at most maxWorkers at once (one process each),
 * retries failed attempts as the launch plan allows, and queues a join once all its inputs finished.
 */
export class Scheduler {
  private readonly queue: PendingTask[] = [];
  private readonly running = new Set<RunningTask>();
  private readonly arrivals = new Map<string, Array<{ index: number; path: string }>>();
  /** Per step: tasks finished, failed for good, and when its first one started (the status line's figures). */
  private readonly tally = new Map<string, { done: number; failed: number; startedAt?: number }>();
  private readonly logDir = mkdtempSync(join(tmpdir(), 'flowkit-logs-'));
  private failed: string | undefined;
  private finished = false;
  private changed = false;
  private wake: () => void = () => undefined;

  constructor(private readonly context: SchedulerContext) {}

  /** Runs the flow from `start`; resolves true when `end` finished, false when a task failed for good. */
  async execute(): Promise<boolean> {
    this.queue.push({ stepName: 'start', inputPaths: [PARAMETERS_PATH], frames: [] });
    const { metadata, graph, runId, console, heartbeatSeconds } = this.context;
    const stopHeartbeats = startHeartbeats(metadata, { flowName: graph.flowName, runId }, heartbeatSeconds, () => [...this.running].map((r) => r.ref), (message) => console.error(message));
    try {
      while (!this.finished && (this.failed === undefined || this.running.size > 0)) {
        while (this.failed === undefined && this.queue.length > 0 && this.running.size < this.context.maxWorkers) {
          const task = this.queue.shift() as PendingTask;
          if (!(await this.cloneIfDone(task))) await this.launch(task, undefined, 0);
        }
        if (this.running.size === 0 && this.queue.length === 0) break;
        if (!this.changed) await new Promise<void>((resolve) => (this.wake = resolve));
        this.changed = false;
      }
    } finally {
      stopHeartbeats();
      rmSync(this.logDir, { recursive: true, force: true });
    }
    return this.finished && this.failed === undefined;
  }

  /** Where each step stands, in flow order. */
  progress(): StepProgress[] {
    return this.context.graph.order.map((step) => ({
      step,
      queued: this.queue.filter((task) => task.stepName === step).length,
      running: [...this.running].filter((entry) => entry.task.stepName === step).length,
      done: 0,
      failed: 0,
      ...this.tally.get(step),
    }));
  }

  private count(step: string, outcome: 'done' | 'failed' | 'started'): void {
    const tally = this.tally.get(step) ?? { done: 0, failed: 0 };
    if (outcome === 'started') tally.startedAt ??= Date.now();
    else tally[outcome]++;
    this.tally.set(step, tally);
  }

  /** Why the run failed, once it has. */
  get failure(): string | undefined {
    return this.failed;
  }

  /** Stops the run: running tasks get SIGTERM, then SIGKILL after a grace period. */
  stop(reason: string): void {
    this.failed ??= reason;
    this.queue.length = 0;
    for (const { launched } of this.running) {
      launched.kill('SIGTERM');
      setTimeout(() => launched.kill('SIGKILL'), KILL_GRACE_MS).unref();
    }
    this.notify();
  }

  private notify(): void {
    this.changed = true;
    this.wake();
  }

  /** On resume, a task that finished in the origin run is cloned: its records point at the same data, no process runs. */
  private async cloneIfDone(task: PendingTask): Promise<boolean> {
    const { cloner, graph, runId, metadata, store } = this.context;
    const foreachIndices = task.frames.filter((f) => f.foreach).map((f) => f.index);
    const origin = await cloner?.find(task.stepName, foreachIndices);
    if (!origin) return false;
    const originPath = `${origin.ref.runId}/${origin.ref.stepName}/${origin.ref.taskId}`;
    const record = await metadata.newTask({ flowName: graph.flowName, runId, stepName: task.stepName }, { foreachIndices, clonedFrom: originPath, inputPaths: task.inputPaths });
    const ref: TaskRef = { flowName: graph.flowName, runId, stepName: task.stepName, taskId: record.taskId };
    await metadata.startAttempt(ref, 0);
    await store.cloneAttempt(origin.ref, origin.attempt, ref, 0);
    if (metadata.registerArtifacts) await metadata.registerArtifacts(ref, 0, (await store.readAttempt(ref, 0)).artifacts);
    await metadata.finishAttempt(ref, 0, { status: 'succeeded' });
    this.context.console.taskInfo(`${runId}/${task.stepName}/${ref.taskId}`, `Cloned the finished task ${originPath}.`);
    this.count(task.stepName, 'done');
    await this.advance(task, ref, 0);
    return true;
  }

  private async launch(task: PendingTask, existing: TaskRef | undefined, attempt: number): Promise<void> {
    const { graph, runId, metadata } = this.context;
    const ref =
      existing ??
      (await metadata.newTask(
        { flowName: graph.flowName, runId, stepName: task.stepName },
        { foreachIndices: task.splitIndex === undefined ? undefined : [task.splitIndex], inputPaths: task.inputPaths },
      ));
    const taskRef: TaskRef = { flowName: ref.flowName, runId: ref.runId, stepName: ref.stepName, taskId: ref.taskId };
    const plan = this.context.launchPlan(task.stepName);
    const args: TaskArgs = {
      ...this.context.taskArgs,
      stepName: task.stepName,
      runId,
      taskId: taskRef.taskId,
      attempt,
      userAttempts: plan.userAttempts,
      inputPaths: task.inputPaths,
      splitIndex: task.splitIndex,
    };
    const launch = this.context.launches.describe(taskRef, args, plan);
    // The fallback attempt (@catch) runs no user code: it runs here, as in Metaflow, whatever the step's compute.
    const [launcher, attributes] = plan.compute && attempt < plan.userAttempts ? [plan.compute.decorator, plan.compute.attributes] : [this.context.launcher, {}];
    let launched: LaunchedTask;
    let launchFailure: string | undefined;
    try {
      launched = await launcher.launch(launch, attributes);
    } catch (error) {
      launchFailure = (error as Error).message;
      launched = notLaunched(launchFailure);
    }
    const entry: RunningTask = { task, ref: taskRef, attempt, launch, launched, launchFailure, startedAt: Date.now() };
    this.running.add(entry);
    this.count(task.stepName, 'started');
    const label = `${runId}/${task.stepName}/${taskRef.taskId} (${launched.label})`;
    this.context.console.taskInfo(label, attempt === 0 ? 'Task is starting.' : `Task is starting (retry ${attempt}).`);
    this.context.events.emit({ type: 'task-started', ...taskIds(taskRef, attempt), where: launched.label });
    this.supervise(entry, plan, label).catch((error: unknown) => {
      this.context.console.error(`FlowKit could not follow up on task ${label}: ${(error as Error).message}`);
      this.stop('the scheduler failed');
    });
  }

  private async supervise(entry: RunningTask, plan: LaunchPlan, label: string): Promise<void> {
    try {
      await this.follow(entry, plan, label);
    } finally {
      // Only now: a retry was already launched, so the run never looks idle in between.
      this.running.delete(entry);
      this.notify();
    }
  }

  private async follow(entry: RunningTask, plan: LaunchPlan, label: string): Promise<void> {
    const { launched, ref, attempt } = entry;
    const base = join(this.logDir, `${ref.stepName}.${ref.taskId}.${attempt}`);
    let timedOut = false;
    // The fallback attempt runs no user code, so the step's timeout is not its to keep.
    const timer =
      plan.timeoutSeconds === undefined || attempt >= plan.userAttempts
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            launched.kill('SIGKILL');
          }, plan.timeoutSeconds * 1000);
    const [exit] = await Promise.all([
      launched.exited,
      captureStream(launched.stdout, `${base}.stdout`, 'stdout', this.context.console, () => label),
      captureStream(launched.stderr, `${base}.stderr`, 'stderr', this.context.console, () => label),
    ]);
    if (timer) clearTimeout(timer);
    const remote = entry.launch.wentRemote;
    if (remote) await this.mergeRecords(ref, attempt);
    // One listing says both whether the attempt finished and whether a task elsewhere stored its logs.
    const stored = exit.code === 0 || remote ? await this.context.store.attemptOutcome(ref, attempt) : undefined;
    const done = exit.code === 0 && stored?.latestDone === attempt;
    // A timeout is the cause whatever the task recorded as it was stopped (a remote task records the signal).
    const crash =
      entry.launchFailure !== undefined
        ? `could not be launched: ${entry.launchFailure}`
        : timedOut
          ? `timed out after ${plan.timeoutSeconds} s`
          : done
            ? undefined
            : await this.crashCause(ref, attempt, exit);
    // The task could not say why it died, so its log says it for it (`flowkit logs` shows it).
    if (crash) appendFileSync(`${base}.stderr`, `FlowKit: the task ${crash}.\n`);
    // A task launched elsewhere saved its own logs, unless it died before it could: then what streamed here is kept.
    const unsaved = !remote || crash || !stored?.logsSaved ? await this.saveLogs(ref, attempt, base) : undefined;
    if (crash) await this.recordCrash(ref, attempt, crash, remote);
    else if (unsaved) await this.recordUnsavedLogs(ref, attempt, unsaved);
    const finished = { type: 'task-finished', ...taskIds(ref, attempt), durationMs: Date.now() - entry.startedAt } as const;
    if (done && !unsaved) {
      this.context.console.taskInfo(label, 'Task finished successfully.');
      this.count(ref.stepName, 'done');
      this.context.events.emit({ ...finished, status: 'succeeded' });
      await this.advance(entry.task, ref, attempt);
      return;
    }
    const cause = crash ?? unsaved ?? (await this.context.metadata.listAttempts(ref)).find((a) => a.attempt === attempt)?.error;
    this.context.events.emit({ ...finished, status: 'failed', ...(cause === undefined ? {} : { cause }) });
    if (this.failed === undefined && attempt + 1 < plan.userAttempts + (plan.fallbackAttempt ? 1 : 0)) {
      this.context.console.taskInfo(label, `Task failed; retrying${plan.retryDelaySeconds > 0 ? ` in ${plan.retryDelaySeconds} s` : ''}.`);
      await new Promise((resolve) => setTimeout(resolve, plan.retryDelaySeconds * 1000));
      if (this.failed === undefined) {
        await this.launch(entry.task, ref, attempt + 1);
        return;
      }
    }
    this.context.console.taskInfo(label, 'Task failed.');
    this.count(ref.stepName, 'failed');
    this.stop(`step '${ref.stepName}' (task ${ref.taskId}) failed`);
  }

  /** Why an attempt's process died, when the task process could not record it itself (killed, exit() in user code, even exit(0)). */
  private async crashCause(ref: TaskRef, attempt: number, exit: TaskExit): Promise<string | undefined> {
    const record = (await this.context.metadata.listAttempts(ref)).find((a) => a.attempt === attempt);
    if (record?.status !== 'failed') return exitCause(exit);
    // A remote task that recorded its own death (`was killed by SIGTERM`) could not know who killed it; its backend does.
    if (exit.reason && record.died !== undefined && !record.died.includes(exit.reason)) return `${record.died}: ${exit.reason}`;
    return undefined;
  }

  /** Stores the attempt's logs; why they could not be stored, if so. */
  private async saveLogs(ref: TaskRef, attempt: number, base: string): Promise<string | undefined> {
    try {
      // A stream that printed nothing has no file yet (captureStream makes it with the first byte): it is stored empty.
      for (const file of [`${base}.stdout`, `${base}.stderr`]) if (!existsSync(file)) writeFileSync(file, '');
      await Promise.all([this.context.store.saveLog(ref, attempt, 'stdout', `${base}.stdout`), this.context.store.saveLog(ref, attempt, 'stderr', `${base}.stderr`)]);
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  }

  /** An attempt whose logs were lost is not successful, whatever its task recorded: resume runs it again. */
  private async recordUnsavedLogs(ref: TaskRef, attempt: number, why: string): Promise<void> {
    const error = `Task finished, but its logs could not be stored: ${why}`;
    await this.context.metadata.finishAttempt(ref, attempt, { status: 'failed', error });
    this.context.console.error(`Task ${ref.runId}/${ref.stepName}/${ref.taskId}: ${error}`);
  }

  private async recordCrash(ref: TaskRef, attempt: number, cause: string, remote: boolean): Promise<void> {
    const record = (await this.context.metadata.listAttempts(ref)).find((a) => a.attempt === attempt);
    if (!record) await this.context.metadata.startAttempt(ref, attempt);
    await this.context.metadata.finishAttempt(ref, attempt, diedOutcome(cause));
    // A later attempt elsewhere (the @catch fallback) reads why this one failed from the datastore.
    const root = this.context.hostBoundRoot;
    if (remote && root) await this.context.store.saveRecords(ref, attempt, readTaskRecords(root, ref));
    this.context.console.error(`Task ${ref.runId}/${ref.stepName}/${ref.taskId} ${cause}.`);
  }

  /** Copies the records a task that ran elsewhere saved beside its attempt into the local root. */
  private async mergeRecords(ref: TaskRef, attempt: number): Promise<void> {
    const root = this.context.hostBoundRoot;
    if (!root) return;
    const files = await this.context.store.loadRecords(ref, attempt);
    if (files) writeTaskRecords(root, ref, files);
  }

  /** Queues what follows a finished task, as its stored transition says. */
  private async advance(task: PendingTask, ref: TaskRef, attempt: number): Promise<void> {
    if (task.stepName === 'end') {
      this.finished = true;
      return;
    }
    // A finished task took its step's declared transition (the task checks it); only a foreach's items are read back.
    const step = this.context.graph.steps[ref.stepName];
    const transition = step?.foreach ? (await this.context.store.readAttempt(ref, attempt)).transition : step && { next: step.next };
    if (!transition) return;
    const path = `${ref.stepName}/${ref.taskId}`;
    if (transition.foreach) {
      const expected = transition.foreach.items.length;
      const target = transition.next[0] as string;
      for (let index = 0; index < expected; index++) {
        this.queue.push({ stepName: target, inputPaths: [path], splitIndex: index, frames: [...task.frames, { splitTaskId: ref.taskId, expected, index, foreach: true }] });
      }
      return;
    }
    if (transition.next.length > 1) {
      transition.next.forEach((target, index) => {
        this.queue.push({ stepName: target, inputPaths: [path], frames: [...task.frames, { splitTaskId: ref.taskId, expected: transition.next.length, index, foreach: false }] });
      });
      return;
    }
    const target = transition.next[0] as string;
    if (this.context.graph.steps[target]?.type === 'join') this.arrive(target, task.frames, path);
    else this.queue.push({ stepName: target, inputPaths: [path], frames: task.frames });
  }

  /** A branch reached its join: queue the join when every branch of the same split has arrived. */
  private arrive(join: string, frames: SplitFrame[], path: string): void {
    const split = frames[frames.length - 1];
    if (!split) throw new Error(`join '${join}' reached outside any split`);
    const key = `${join}/${split.splitTaskId}`;
    const arrived = [...(this.arrivals.get(key) ?? []), { index: split.index, path }];
    if (arrived.length < split.expected) {
      this.arrivals.set(key, arrived);
      return;
    }
    this.arrivals.delete(key);
    arrived.sort((a, b) => a.index - b.index);
    this.queue.push({ stepName: join, inputPaths: arrived.map((a) => a.path), frames: frames.slice(0, -1) });
  }

}

function taskIds(ref: TaskRef, attempt: number): TaskEventIds {
  return { ...ref, pathspec: `${ref.flowName}/${ref.runId}/${ref.stepName}/${ref.taskId}`, attempt };
}

/** Stands for a task its launcher could not start: it ends at once with the reason on stderr. */
function notLaunched(reason: string): LaunchedTask {
  return {
    label: 'not launched',
    stdout: Readable.from([]),
    stderr: Readable.from([`${reason}\n`]),
    exited: Promise.resolve({ code: 127, signal: null }),
    kill: () => undefined,
  };
}
