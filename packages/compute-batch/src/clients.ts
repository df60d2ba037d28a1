import type { BatchClient } from '@aws-sdk/client-batch';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { Config } from '@flowkit/core/plugin';
import { batchSdk, logsSdk } from './sdk';
import { BatchSettings } from './settings';

/**
 * The SDK's retries (jittered backoff) for throttling and server errors, before a call fails; the middleware stack
 * resolved once per command class, not on every call (a wide foreach makes thousands): these clients' stacks never
 * change after they are made, and each client calls one endpoint.
 */
const CLIENT_OPTIONS = { maxAttempts: 8, cacheMiddleware: true };

/** The Batch client of runs and of `batch list|kill`: region and credentials from the SDK's chain, the endpoint from the settings. */
export function batchClient(config: Config): BatchClient {
  return new (batchSdk().BatchClient)({ endpoint: config.get(BatchSettings.endpoint), ...CLIENT_OPTIONS });
}

export function logsClient(config: Config): CloudWatchLogsClient {
  return new (logsSdk().CloudWatchLogsClient)({ endpoint: config.get(BatchSettings.logsEndpoint), ...CLIENT_OPTIONS });
}
