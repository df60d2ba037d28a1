import type { FlowKitPlugin } from '@flowkit/core/plugin';
import { scheduleChecks } from './schedule';

/*
 * What a task of a flow with `@schedule` loads in place of the package: the decorator and its checks, without the
 * Step Functions and Scheduler clients (a flow's `import { schedule } from '@flowkit/scheduler-stepfunctions'`
 * resolves here).
 */

export { schedule } from './schedule';

export const plugin: FlowKitPlugin = {
  name: '@flowkit/scheduler-stepfunctions',
  register(registry) {
    registry.addFlowDecorator(scheduleChecks);
  },
};
