import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { logsSdk } from './sdk';

/** Reads after the job ended, a look apart, before its logs are given up as unreadable. */
const DRAIN_TRIES = 5;

/**
 * A job's output as CloudWatch Logs has it, read forward page by page. Throttling and server errors are
 * retried by the SDK with jittered backoff; a stream that does not exist yet (the container is starting) is
 * read again on the next look.
 */
export class LogTail {
  private token?: string;

  constructor(
    private readonly client: CloudWatchLogsClient,
    private readonly group: string,
    private readonly stream: string,
    private readonly write: (lines: string) => void,
  ) {}

  /**
   * Reads the next page: how many lines it had, and whether it reached the end of the stream. A job that is running
   * is read a page a look (a backlog catches up a page, up to 1 MB, per look; the drain reads the rest): one call,
   * not a second one that finds nothing new.
   */
  async read(): Promise<{ lines: number; caughtUp: boolean }> {
    const page = await this.client.send(new (logsSdk().GetLogEventsCommand)({ logGroupName: this.group, logStreamName: this.stream, startFromHead: true, nextToken: this.token }));
    const events = page.events ?? [];
    // A page reaches the task's stdout as one chunk: one log file write and one terminal write, not one per line.
    if (events.length > 0) this.write(events.map((event) => `${event.message ?? ''}\n`).join(''));
    // At the end of the stream the service hands back the token it was given.
    const caughtUp = page.nextForwardToken === undefined || page.nextForwardToken === this.token || events.length === 0;
    this.token = page.nextForwardToken ?? this.token;
    return { lines: events.length, caughtUp };
  }

  /** Reads to the end once the job ended; rejects when the logs could not be read at all. */
  async drain(intervalMs: number): Promise<void> {
    for (let tries = 1; ; tries++) {
      try {
        while (!(await this.read()).caughtUp);
        return;
      } catch (error) {
        if (tries >= DRAIN_TRIES) throw new Error(`its logs could not be read from CloudWatch Logs (${this.group}, ${this.stream}): ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
      }
    }
  }
}
