import type { FlowSpec } from '@flowkit/core';
import { flowDecoratorsOf } from '@flowkit/core/internal';
import { registry, type DecoratorSpec, type FlowGraph, type LaunchPlan } from '@flowkit/core/plugin';
import { resolveStepDecorators } from './decorators';

/**
 * Validates every step's and the flow's decorators up front, and returns how to launch each step: its
 * environment, attempts, timeout, resources and compute plugin. A run asks it per attempt; a deployer
 * (a scheduler compiler) asks it once per step.
 */
export function planLaunches(graph: FlowGraph, flowClass: new () => FlowSpec, withSpecs: DecoratorSpec[]): (stepName: string) => LaunchPlan {
  const flowDecorators = flowDecoratorsOf(flowClass).map(({ name, attributes }) => {
    const decorator = registry.flowDecorator(name);
    return { decorator, attributes: decorator.validate?.(attributes, graph) ?? attributes };
  });
  const plans = new Map<string, () => LaunchPlan>();
  for (const stepName of Object.keys(graph.steps)) {
    const step = graph.steps[stepName]!;
    const decorators = resolveStepDecorators(registry, flowClass, graph, stepName, withSpecs);
    plans.set(stepName, () => {
      const plan: LaunchPlan = { env: {}, userAttempts: 1, fallbackAttempt: false, retryDelaySeconds: 0, resources: {} };
      for (const { decorator, attributes } of flowDecorators) decorator.onLaunch?.(attributes, step, plan);
      for (const { decorator, attributes } of decorators) decorator.onLaunch?.(attributes, plan);
      return plan;
    });
  }
  return (stepName) => (plans.get(stepName) as () => LaunchPlan)();
}
