import type { FlowKitPlugin } from '@flowkit/core/plugin';
import { stepFunctionsCli } from './cli';

export { compile } from './compiler';
export type { CompileInput, JobParameters } from './compiler';
export type { StateMachineDefinition } from './asl';
export { StepFunctionsSettings } from './settings';

/** `flowkit step-functions create|trigger|list-runs|delete`; its tasks need nothing of it, so code packages leave it out. */
export const plugin: FlowKitPlugin = {
  name: '@flowkit/scheduler-stepfunctions',
  register(registry) {
    registry.addCliExtension(stepFunctionsCli());
  },
};
