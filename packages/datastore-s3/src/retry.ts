import type { RetryErrorInfo, RetryStrategyV2, RetryToken } from '@smithy/types';

const MAX_DELAY_MS = 5000;

/** Exponential backoff from `baseMs` with "equal jitter": at least half the exponential step, so retries always spread out. */
export function backoffDelay(retry: number, baseMs: number): number {
  const ceiling = Math.min(MAX_DELAY_MS, baseMs * 2 ** retry);
  return ceiling / 2 + (Math.random() * ceiling) / 2;
}

function token(count: number, delay: number): RetryToken {
  return { getRetryCount: () => count, getRetryDelay: () => delay };
}

/**
 * Retries throttling (503 SlowDown), 5xx and network errors (a server down for a few seconds) with
 * jittered exponential backoff. Unlike the SDK's standard strategy it has no shared retry quota, which a
 * burst of parallel transfers failing together would exhaust at once, leaving nothing to retry with.
 */
export class BackoffRetryStrategy implements RetryStrategyV2 {
  constructor(
    private readonly maxAttempts: number,
    private readonly baseMs: number,
  ) {}

  async acquireInitialRetryToken(): Promise<RetryToken> {
    return token(0, 0);
  }

  async refreshRetryTokenForRetry(previous: RetryToken, info: RetryErrorInfo): Promise<RetryToken> {
    const retry = previous.getRetryCount() + 1;
    if (info.errorType === 'CLIENT_ERROR' || retry >= this.maxAttempts) throw new Error('no retries left');
    const asked = info.retryAfterHint ? Math.min(info.retryAfterHint.getTime() - Date.now(), MAX_DELAY_MS) : 0;
    return token(retry, Math.max(backoffDelay(retry - 1, this.baseMs), asked));
  }

  recordSuccess(): void {}
}
