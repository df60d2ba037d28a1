import type * as ClientBatch from '@aws-sdk/client-batch';
import type * as ClientCloudWatchLogs from '@aws-sdk/client-cloudwatch-logs';

/*
 * Every `flowkit` command loads every installed plugin, and these SDKs take ~90 ms to load: they load on first
 * use instead, so commands that never reach Batch do not pay for them. The rest of the package imports only types.
 */

export function batchSdk(): typeof ClientBatch {
  return require('@aws-sdk/client-batch') as typeof ClientBatch;
}

export function logsSdk(): typeof ClientCloudWatchLogs {
  return require('@aws-sdk/client-cloudwatch-logs') as typeof ClientCloudWatchLogs;
}
