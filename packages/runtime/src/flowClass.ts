import { FlowDefinitionError, FlowKitError, type FlowSpec } from '@flowkit/core';
import type { FlowGraph, GraphStep } from '@flowkit/core/plugin';

const MAIN_CLASS = Symbol.for('flowkit.mainClass');

/** The flow class among a module's exports (or the one passed to main()). */
export function findFlowClass(flowModule: Record<string, unknown>, flowName: string): new () => FlowSpec {
  const candidates = [flowModule.default, ...Object.values(flowModule), (globalThis as Record<symbol, unknown>)[MAIN_CLASS]];
  const found = candidates.find((value) => typeof value === 'function' && value.name === flowName);
  if (!found) {
    throw new FlowDefinitionError(`The flow file does not export class ${flowName}.`, {
      hint: `write \`export default class ${flowName} extends FlowSpec\` (or export it by name)`,
    });
  }
  return found as new () => FlowSpec;
}

/** The flow's step a task command names; a command made for another version of the flow is refused. */
export function flowStep(graph: FlowGraph, stepName: string): GraphStep {
  const step = graph.steps[stepName];
  if (!step) {
    throw new FlowKitError(`Flow ${graph.flowName} has no step '${stepName}'; its steps are ${graph.order.join(', ')}.`, {
      hint: 'the command was made for another version of the flow: run (or deploy) it again',
    });
  }
  return step;
}
