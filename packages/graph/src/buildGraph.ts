import type { ObjectExpression, ObjectProperty } from '@babel/types';
import type { FlowGraph, GraphStep, StepType } from '@flowkit/core/plugin';
import { stringValue, type FlowSource, type NextCall, type StepSource } from './flowSource';
import { locateNode } from './source';

/** The step's next() as the graph records it: the last-statement call, else the first one written. */
export function transitionOf(step: StepSource): NextCall | undefined {
  return step.lastNext ?? step.nextCalls[0];
}

/** Whether an option of next() is written `foreach: ...` (not quoted, computed or shorthand). */
export function isForeachOption(property: ObjectExpression['properties'][number]): property is ObjectProperty {
  return property.type === 'ObjectProperty' && !property.computed && !property.shorthand && property.key.type === 'Identifier' && property.key.name === 'foreach';
}

/** The `foreach: '<name>'` option of a next() call, when written as a string literal. */
export function foreachOf(call: NextCall | undefined): string | undefined {
  const property = call?.options?.properties.find(isForeachOption);
  return property && stringValue(property.value);
}

function typeOf(step: StepSource, next: string[], foreach: string | undefined): StepType {
  if (step.name === 'end') return 'end';
  if (step.parameters.length > 0) return 'join';
  if (foreach !== undefined) return 'foreach';
  if (next.length > 1) return 'split-and';
  return step.name === 'start' ? 'start' : 'linear';
}

/** Whether a step opens a split (several targets or a foreach), whatever its own type. */
export function splits(step: GraphStep): boolean {
  return step.next.length > 1 || step.foreach !== undefined;
}

export function buildGraph(flow: FlowSource, file: string): FlowGraph {
  const steps: Record<string, GraphStep> = {};
  for (const source of flow.steps.values()) {
    const call = transitionOf(source);
    const next = (call?.targets ?? []).map((t) => t.name).filter((name): name is string => name !== undefined);
    const foreach = foreachOf(call);
    const { line, column } = locateNode(source.nameNode);
    steps[source.name] = {
      name: source.name,
      type: typeOf(source, next, foreach),
      next,
      ...(foreach !== undefined ? { foreach } : {}),
      parents: [],
      splitParents: [],
      decorators: source.decorators.map((d) => d.spec),
      ...(source.doc !== undefined ? { doc: source.doc } : {}),
      line,
      column,
    };
  }
  for (const step of Object.values(steps)) {
    for (const target of step.next) steps[target]?.parents.push(step.name);
  }
  markSplits(steps);
  return { flowName: flow.className, file, ...(flow.doc !== undefined ? { doc: flow.doc } : {}), steps, order: topologicalOrder(steps), decorators: flow.decorators };
}

/**
 * Metaflow's traversal: walking from start with a stack of open splits, each step records the splits
 * enclosing it; a join records the split it closes (its last split parent) and pops it.
 */
function markSplits(steps: Record<string, GraphStep>): void {
  const seen = new Set<string>();
  const visit = (name: string, open: string[]) => {
    const step = steps[name];
    if (!step || seen.has(name)) return;
    seen.add(name);
    step.splitParents = open;
    let inner = open;
    if (step.type === 'join' && open.length > 0) {
      const closed = steps[open[open.length - 1] as string];
      if (closed && closed.matchingJoin === undefined) closed.matchingJoin = name;
      inner = open.slice(0, -1);
    }
    if (splits(step)) inner = [...inner, name];
    for (const target of step.next) visit(target, inner);
  };
  visit('start', []);
}

/** Steps reachable from start, parents before children, in source order among equals. */
function topologicalOrder(steps: Record<string, GraphStep>): string[] {
  const reachable = new Set<string>();
  const walk = (name: string) => {
    if (reachable.has(name) || !steps[name]) return;
    reachable.add(name);
    steps[name]?.next.forEach(walk);
  };
  walk('start');
  const names = Object.keys(steps).filter((n) => reachable.has(n));
  const waiting = new Map(names.map((n) => [n, (steps[n]?.parents ?? []).filter((p) => reachable.has(p)).length]));
  const order: string[] = [];
  for (let ready = names.filter((n) => waiting.get(n) === 0); ready.length > 0; ready = names.filter((n) => waiting.get(n) === 0)) {
    for (const name of ready) {
      waiting.delete(name);
      order.push(name);
      for (const child of steps[name]?.next ?? []) if (waiting.has(child)) waiting.set(child, (waiting.get(child) as number) - 1);
    }
  }
  return order;
}
