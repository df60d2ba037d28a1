import type * as ClientScheduler from '@aws-sdk/client-scheduler';
import type * as ClientSfn from '@aws-sdk/client-sfn';

/*
 * Every `flowkit` command loads every installed plugin: these SDKs load on first use instead, so commands that
 * never reach Step Functions do not pay for them. The rest of the package imports only types.
 */

// FlowKit supports Node 20 on purpose; the SDK's notice about its future versions would end up on every command's stderr.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export function sfnSdk(): typeof ClientSfn {
  return require('@aws-sdk/client-sfn') as typeof ClientSfn;
}

export function schedulerSdk(): typeof ClientScheduler {
  return require('@aws-sdk/client-scheduler') as typeof ClientScheduler;
}
