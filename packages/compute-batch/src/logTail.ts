import { GetLogEventsCommand, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';

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
    private readonly write: (line: string) => void,
  ) {}

  /** Reads every page there is now. */
  async read(): Promise<void> {
    for (;;) {
      const page = await this.client.send(new GetLogEventsCommand({ logGroupName: this.group, logStreamName: this.stream, startFromHead: true, nextToken: this.token }));
      for (const event of page.events ?? []) this.write(`${event.message ?? ''}\n`);
      // At the end of the stream the service hands back the token it was given.
      const caughtUp = page.nextForwardToken === undefined || page.nextForwardToken === this.token;
      this.token = page.nextForwardToken ?? this.token;
      if (caughtUp || (page.events ?? []).length === 0) return;
    }
  }

  /** Reads to the end once the job ended; rejects when the logs could not be read at all. */
  async drain(intervalMs: number): Promise<void> {
    for (let tries = 1; ; tries++) {
      try {
        return await this.read();
      } catch (error) {
        if (tries >= DRAIN_TRIES) throw new Error(`its logs could not be read from CloudWatch Logs (${this.group}, ${this.stream}): ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
      }
    }
  }
}
