import type * as ClientBatch from '@aws-sdk/client-batch';
import type * as ClientCloudWatchLogs from '@aws-sdk/client-cloudwatch-logs';

/*
 * Every `flowkit` command loads every installed plugin, and these SDKs take ~90 ms to load: they load on first
 * use instead, so commands that never reach Batch do not pay for them. The rest of the package imports only types.
 */

// FlowKit supports Node 20 on purpose; the SDK's notice about its future versions would end up on every command's stderr.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export function batchSdk(): typeof ClientBatch {
  return require('@aws-sdk/client-batch') as typeof ClientBatch;
}

export function logsSdk(): typeof ClientCloudWatchLogs {
  return require('@aws-sdk/client-cloudwatch-logs') as typeof ClientCloudWatchLogs;
}
