import type { BatchClient } from '@aws-sdk/client-batch';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { Config } from '@flowkit/core/plugin';
import { batchSdk, logsSdk } from './sdk';
import { BatchSettings } from './settings';

/** The SDK's retries (jittered backoff) for throttling and server errors, before a call fails. */
const MAX_ATTEMPTS = 8;

/** The Batch client of runs and of `batch list|kill`: region and credentials from the SDK's chain, the endpoint from the settings. */
export function batchClient(config: Config): BatchClient {
  return new (batchSdk().BatchClient)({ endpoint: config.get(BatchSettings.endpoint), maxAttempts: MAX_ATTEMPTS });
}

export function logsClient(config: Config): CloudWatchLogsClient {
  return new (logsSdk().CloudWatchLogsClient)({ endpoint: config.get(BatchSettings.logsEndpoint), maxAttempts: MAX_ATTEMPTS });
}
