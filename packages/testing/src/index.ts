export { FlowTest } from './flowTest';
export { steps } from './template';
export type { Checker, FlowResult, TemplateClass } from './template';
export { assertEquals, assertTrue, assertThrows, isResumed, ResumeFromHere } from './assert';
export { combinations, runCombination, runHarness, loadContexts, templateNames, writeFlow } from './harness';
export type { Combination, Context } from './harness';
export { loadGraphs, qualifiers } from './graphs';
export { flowClassName } from './generate';
export type { GraphSpec, StepSpec } from './graphs';
