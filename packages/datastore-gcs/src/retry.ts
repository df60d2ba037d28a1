import { MAX_RETRY_DELAY_S, TOTAL_TIMEOUT_S, isRetryable, type GcsOptions } from './settings';

/**
 * Runs `operation`, again while it fails with what the client retries, with the client's backoff: retry n
 * waits multiplier^n s (at most 8 s) plus up to 1 s of jitter, and none starts past the total timeout.
 */
export async function withRetries<T>(options: Pick<GcsOptions, 'maxRetries' | 'retryMultiplier'>, operation: () => Promise<T>): Promise<T> {
  const started = Date.now();
  for (let retry = 1; ; retry++) {
    try {
      return await operation();
    } catch (error) {
      const delay = Math.min(options.retryMultiplier ** retry, MAX_RETRY_DELAY_S) * 1000 + Math.random() * 1000;
      if (retry > options.maxRetries || !isRetryable(error) || Date.now() - started + delay > TOTAL_TIMEOUT_S * 1000) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
