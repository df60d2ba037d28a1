import type * as ClientScheduler from '@aws-sdk/client-scheduler';
import type * as ClientSfn from '@aws-sdk/client-sfn';

/*
 * Every `flowkit` command loads every installed plugin: these SDKs load on first use instead, so commands that
 * never reach Step Functions do not pay for them. The rest of the package imports only types.
 */

export function sfnSdk(): typeof ClientSfn {
  return require('@aws-sdk/client-sfn') as typeof ClientSfn;
}

export function schedulerSdk(): typeof ClientScheduler {
  return require('@aws-sdk/client-scheduler') as typeof ClientScheduler;
}
