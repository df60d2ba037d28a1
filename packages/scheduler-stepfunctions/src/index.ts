import { join } from 'node:path';
import type { FlowKitPlugin } from '@flowkit/core/plugin';
import { stepFunctionsCli } from './cli';
import { scheduleChecks } from './schedule';
import { plugin as taskPlugin } from './taskPlugin';

export { compile } from './compiler';
export type { CompileInput, JobParameters } from './compiler';
export type { StateMachineDefinition } from './asl';
export { StepFunctionsSettings } from './settings';
export { schedule } from './schedule';
export type { ScheduleAttributes } from './schedule';

/** `flowkit step-functions create|trigger|list-runs|delete` and `@schedule`; tasks load only `@schedule` (taskPlugin). */
export const plugin: FlowKitPlugin = {
  name: taskPlugin.name,
  taskModule: join(__dirname, 'taskPlugin.js'),
  register(registry) {
    registry.addFlowDecorator(scheduleChecks);
    registry.addCliExtension(stepFunctionsCli());
  },
};
