import { PassThrough } from 'node:stream';
import type { BatchClient, JobDetail } from '@aws-sdk/client-batch';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { LaunchedTask, TaskExit } from '@flowkit/core/plugin';
import type { JobWatcher } from './jobWatcher';
import { LogTail } from './logTail';
import { batchSdk } from './sdk';

export interface JobClients {
  batch: BatchClient;
  logs: CloudWatchLogsClient;
  logGroup: string;
  watcher: JobWatcher;
  intervalMs: number;
}

const ENDED = new Set(['SUCCEEDED', 'FAILED']);
/** The most looks apart a quiet job's logs are read. */
const QUIET_LOOKS = 4;

/**
 * One submitted attempt as the scheduler sees any task: its state changes and CloudWatch output stream to its
 * stdout while it runs, and it has exited once Batch says SUCCEEDED or FAILED and its logs were read to the end.
 */
export class BatchJob {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly exited: Promise<TaskExit>;
  private status?: string;
  private done = false;
  private tail?: LogTail;
  private tailTimer?: NodeJS.Timeout;
  private reading?: Promise<unknown>;
  private terminated?: string;
  private termination?: Promise<void>;
  private finish!: (exit: TaskExit) => void;

  constructor(
    readonly jobId: string,
    private readonly clients: JobClients,
  ) {
    this.exited = new Promise((resolve) => (this.finish = resolve));
    clients.watcher.watch(jobId, (detail) => void this.update(detail));
  }

  get launched(): LaunchedTask {
    return { label: `batch ${this.jobId}`, stdout: this.stdout, stderr: this.stderr, exited: this.exited, kill: (signal) => void this.kill(signal) };
  }

  get running(): boolean {
    return !this.done;
  }

  /** Terminates the job (a timeout, Ctrl-C, the run's end); Batch stops its container. Settles once asked. */
  kill(signal: string): Promise<void> {
    if (!this.running) return Promise.resolve();
    this.termination ??= (async () => {
      this.terminated = signal === 'SIGKILL' ? 'stopped by FlowKit' : `interrupted (${signal})`;
      try {
        await this.clients.batch.send(new (batchSdk().TerminateJobCommand)({ jobId: this.jobId, reason: `FlowKit: ${this.terminated}` }));
      } catch (error) {
        this.stderr.write(`FlowKit could not terminate AWS Batch job ${this.jobId}: ${(error as Error).message}\n`);
      }
    })();
    return this.termination;
  }

  private async update(detail: JobDetail | Error): Promise<void> {
    if (detail instanceof Error) return this.end({ code: null, signal: null, reason: detail.message });
    if (detail.status === this.status) return;
    this.status = detail.status;
    this.stdout.write(`AWS Batch job is ${detail.status}.\n`);
    const stream = detail.container?.logStreamName;
    if (stream && !this.tail && (detail.status === 'RUNNING' || ENDED.has(detail.status as string))) {
      this.tail = new LogTail(this.clients.logs, this.clients.logGroup, stream, (lines) => this.stdout.write(lines));
      // The first read two looks in: a short task has ended by then, and the drain reads it in one call.
      if (detail.status === 'RUNNING') this.follow(2 * this.clients.intervalMs);
    }
    if (ENDED.has(detail.status as string)) await this.ended(detail);
  }

  /**
   * Reads the logs while the job runs: a look apart while they grow, up to QUIET_LOOKS looks apart while the job is
   * quiet (each read is a CloudWatch call, and a wide foreach polling every job each look would cost more calls
   * than anything else it does). A failed read is tried again at the next look; the drain reads what is left.
   */
  private follow(delayMs: number): void {
    this.tailTimer = setTimeout(() => {
      const next = (lines: number) => (lines > 0 ? this.clients.intervalMs : Math.min(2 * delayMs, QUIET_LOOKS * this.clients.intervalMs));
      this.reading = (this.tail as LogTail).read().then(
        ({ lines }) => this.following && this.follow(next(lines)),
        () => this.following && this.follow(delayMs),
      );
    }, delayMs);
  }

  /** Until the job ends, or FlowKit lost track of it. */
  private get following(): boolean {
    return this.running && this.status === 'RUNNING';
  }

  private async ended(detail: JobDetail): Promise<void> {
    this.clients.watcher.unwatch(this.jobId);
    clearTimeout(this.tailTimer);
    const exit = exitOf(detail, this.terminated);
    // A job that ran has logs; one that never started (an image that cannot be pulled) has none.
    if (this.tail && detail.startedAt !== undefined) {
      // A read under way finishes first: two reads from the same token would print its lines twice.
      await this.reading;
      try {
        await this.tail.drain(this.clients.intervalMs);
      } catch (error) {
        const reason = `AWS Batch job ${this.jobId} ended, but ${(error as Error).message}`;
        return this.end({ code: exit.code === 0 ? 1 : exit.code, signal: null, reason: exit.reason ? `${exit.reason}; ${reason}` : reason });
      }
    }
    this.end(exit);
  }

  private end(exit: TaskExit): void {
    this.clients.watcher.unwatch(this.jobId);
    clearTimeout(this.tailTimer);
    this.done = true;
    this.stdout.end();
    this.stderr.end();
    this.finish(exit);
  }
}

/** How Batch says the job ended: the container's exit code, and why (status reason, container reason). */
function exitOf(detail: JobDetail, terminated: string | undefined): TaskExit {
  if (detail.status === 'SUCCEEDED') return { code: 0, signal: null };
  const container = detail.container;
  const reasons = new Set([terminated ? `AWS Batch job ${terminated}` : detail.statusReason, container?.reason].filter((r): r is string => Boolean(r)));
  return { code: container?.exitCode ?? null, signal: null, reason: `${[...reasons].join(': ') || 'AWS Batch job failed'} (job ${detail.jobId})` };
}
