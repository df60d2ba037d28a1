export { buildCodePackage, loadCodePackage } from './codePackage';
export { findFlowClass } from './flowClass';
export type { CodePackage, LoadedCodePackage } from './codePackage';
export { runFlow } from './run';
export type { RunRequest, RunResult } from './run';
export { Scheduler } from './scheduler';
export { RunConsole, timestamp } from './console';
export { parseWithSpec, resolveStepDecorators } from './decorators';
export type { ResolvedDecorator } from './decorators';
