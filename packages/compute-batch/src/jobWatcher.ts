import type { BatchClient, JobDetail } from '@aws-sdk/client-batch';
import { batchSdk } from './sdk';

/** DescribeJobs takes at most this many job ids per call. */
const IDS_PER_CALL = 100;
/** Looks in a row that may fail (the SDK has retried each) before the jobs are given up as lost. */
const FAILED_LOOKS = 10;

/**
 * Follows every job of a run with one DescribeJobs call per 100 jobs per tick, never one call per job: a
 * 500-way foreach costs five calls a tick. Each job's listener gets its detail on every look.
 */
export class JobWatcher {
  private readonly listeners = new Map<string, (detail: JobDetail | Error) => void>();
  private timer?: NodeJS.Timeout;
  private failures = 0;

  constructor(
    private readonly client: BatchClient,
    private readonly intervalMs: number,
  ) {}

  /** The listener gets each look at the job, or the error that made FlowKit lose track of it. */
  watch(jobId: string, listener: (detail: JobDetail | Error) => void): void {
    this.listeners.set(jobId, listener);
    this.schedule();
  }

  unwatch(jobId: string): void {
    this.listeners.delete(jobId);
  }

  close(): void {
    clearTimeout(this.timer);
    this.listeners.clear();
  }

  private schedule(): void {
    if (this.timer === undefined && this.listeners.size > 0) this.timer = setTimeout(() => void this.look(), this.intervalMs);
  }

  private async look(): Promise<void> {
    const ids = [...this.listeners.keys()];
    try {
      for (let i = 0; i < ids.length; i += IDS_PER_CALL) {
        const { jobs = [] } = await this.client.send(new (batchSdk().DescribeJobsCommand)({ jobs: ids.slice(i, i + IDS_PER_CALL) }));
        for (const job of jobs) this.listeners.get(job.jobId as string)?.(job);
      }
      this.failures = 0;
    } catch (error) {
      if (++this.failures >= FAILED_LOOKS) {
        const lost = new Error(`FlowKit lost track of its AWS Batch jobs: ${(error as Error).message}`);
        for (const id of ids) this.listeners.get(id)?.(lost);
      }
    } finally {
      this.timer = undefined;
      this.schedule();
    }
  }
}
