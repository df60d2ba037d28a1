import type { Node } from '@babel/types';
import { RESERVED_NAMES, artifactNameClash } from '@flowkit/core/internal';
import type { FlowGraph, GraphStep } from '@flowkit/core/plugin';
import { foreachOf, isForeachOption, splits, transitionOf } from './buildGraph';
import type { FlowSource, StepSource } from './flowSource';
import { locateNode, textOf } from './source';

export interface LintIssue {
  rule: string;
  message: string;
  hint: string;
  file: string;
  line: number;
  column: number;
}

/** `catch` is a keyword in TypeScript, so the decorator registered as 'catch' is written @catchError. */
const CATCH_NAMES = ['catch', 'catchError'];

type Report = (rule: string, node: Node, message: string, hint: string) => void;

/** Every rule, over the source and the graph built from it. Issues come back in source order. */
export function lint(flow: FlowSource, graph: FlowGraph): LintIssue[] {
  const issues: LintIssue[] = [];
  const report: Report = (rule, node, message, hint) => {
    const { file, line, column } = locateNode(node);
    issues.push({ rule, message, hint, file, line, column });
  };
  for (const rule of [flowName, stepNames, startAndEnd, transitions, joins, reachability, splitBalance, decoratorPlacement, reservedArtifacts]) rule(flow, graph, report);
  return issues.sort((a, b) => a.line - b.line || a.column - b.column);
}

/** A flow's name is its directory at the datastore root, beside FlowKit's own (`_code/`, the code cache). */
function flowName(flow: FlowSource, _graph: FlowGraph, report: Report): void {
  if (flow.className.startsWith('_')) {
    report('reserved-flow-name', flow.nameNode, `Flow name '${flow.className}' starts with "_": such names are FlowKit's own in the datastore (_code holds the code cache).`, `rename the class, e.g. '${flow.className.replace(/^_+/, '').replace(/^./, (c) => c.toUpperCase()) || 'My'}Flow'`);
  }
}

function stepNames(flow: FlowSource, _graph: FlowGraph, report: Report): void {
  for (const step of flow.steps.values()) {
    if (RESERVED_NAMES.has(step.name) || step.name.startsWith('_')) {
      report('reserved-step-name', step.nameNode, `Step '${step.name}' uses a reserved name.`, 'rename the step; FlowSpec members and names starting with "_" are reserved');
    } else if (!/^[a-z][A-Za-z0-9_]*$/.test(step.name)) {
      report('step-name-format', step.nameNode, `Step name '${step.name}' must start with a lower case letter and hold only letters, digits and "_".`, `rename it, e.g. '${step.name.replace(/^[^a-z]+/, '').replace(/^./, (c) => c.toLowerCase()) || 'train'}'`);
    }
  }
}

function startAndEnd(flow: FlowSource, _graph: FlowGraph, report: Report): void {
  for (const name of ['start', 'end']) {
    if (!flow.steps.has(name)) report(`missing-${name}`, flow.nameNode, `Flow ${flow.className} has no '${name}' step.`, `add \`@step ${name}() { ... }\`; every flow runs from start to end`);
  }
  const end = flow.steps.get('end');
  if (!end) return;
  const call = end.nextCalls[0];
  if (call) report('end-has-next', call.node, "The 'end' step calls next(); end is the last step.", 'remove the next() call from end');
  if (end.parameters.length > 0) report('end-is-join', end.nameNode, "The 'end' step takes inputs; end cannot be a join.", 'join in a step of its own, then call this.next(this.end)');
}

function transitions(flow: FlowSource, graph: FlowGraph, report: Report): void {
  for (const step of flow.steps.values()) {
    if (step.name === 'end') continue;
    const [first, second] = step.nextCalls;
    if (!first) {
      report('missing-next', step.nameNode, `Step '${step.name}' does not call this.next().`, 'end the step with this.next(this.<step>)');
      continue;
    }
    if (second) report('next-called-twice', second.node, `Step '${step.name}' calls next() more than once.`, 'call next() exactly once, as the last statement of the step');
    else if (!step.lastNext) report('next-not-last', first.node, `In step '${step.name}', next() is not the last statement.`, 'move this.next(...) to the end of the step, outside any if or loop');
    const call = transitionOf(step);
    if (!call) continue;
    validNextForm(flow, step, call, report);
    for (const target of call.targets) {
      if (target.name !== undefined && !graph.steps[target.name]) {
        report('unknown-target', target.node, `Step '${step.name}' goes to '${target.name}', which is not a step.`, `define @step ${target.name}() or fix the name`);
      }
    }
    const foreach = foreachOf(call);
    if (foreach !== undefined && !flow.artifacts.has(foreach)) {
      report('foreach-var-unknown', call.options ?? call.node, `Step '${step.name}' fans out over '${foreach}', which no step assigns.`, `assign this.${foreach} = [...] before next(), or declare it on the class`);
    }
  }
}

function validNextForm(flow: FlowSource, step: StepSource, call: NonNullable<ReturnType<typeof transitionOf>>, report: Report): void {
  if (call.targets.length === 0) {
    report('invalid-next', call.node, `Step '${step.name}' calls next() without a target.`, 'pass a step: this.next(this.<step>)');
    return;
  }
  for (const target of call.targets) {
    if (target.name === undefined) report('invalid-next', target.node, `Step '${step.name}' passes '${textOf(flow.source, target.node)}' to next().`, 'targets are steps of this flow written as this.<step>');
  }
  if (!call.options) return;
  const foreach = foreachOf(call);
  const unknown = call.options.properties.filter((p) => !isForeachOption(p));
  if (unknown.length > 0 || foreach === undefined) {
    report('invalid-next', call.options, `Step '${step.name}' passes next() options other than { foreach: '<artifact>' }.`, "write this.next(this.<step>, { foreach: 'items' }) with the artifact name as a string literal");
  } else if (call.targets.length > 1) {
    report('invalid-next', call.node, `Step '${step.name}' fans out over '${foreach}' to ${call.targets.length} steps; a foreach has one target.`, 'pass a single step with { foreach }');
  }
}

function joins(flow: FlowSource, graph: FlowGraph, report: Report): void {
  for (const step of flow.steps.values()) {
    const node = graph.steps[step.name];
    if (!node || step.name === 'end') continue;
    if (step.parameters.length > 1) {
      report('join-arity', step.parameters[1] as Node, `Join step '${step.name}' takes ${step.parameters.length} parameters.`, 'a join takes exactly one: inputs');
    }
    if (node.type !== 'join' && node.parents.length > 1) {
      report('not-a-join', step.nameNode, `Step '${step.name}' is reached from ${node.parents.join(', ')} but does not take inputs.`, `make it a join: ${step.name}(inputs: Inputs) { ... }`);
    }
    if (step.parameters.length > 0 && step.name !== 'start' && node.parents.length === 1 && !closesForeach(graph, step.name)) {
      report('join-without-split', step.nameNode, `Step '${step.name}' takes inputs but closes no split.`, 'remove the inputs parameter, or make it the join of a branch or foreach');
    }
    if (step.name === 'start' && step.parameters.length > 0) {
      report('join-without-split', step.nameNode, "The 'start' step takes inputs; start is never a join.", 'remove the parameter');
    }
  }
}

function closesForeach(graph: FlowGraph, join: string): boolean {
  return Object.values(graph.steps).some((s) => s.matchingJoin === join && s.foreach !== undefined);
}

function reachability(flow: FlowSource, graph: FlowGraph, report: Report): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]) => {
    if (state.get(name) === 'done' || !graph.steps[name]) return;
    if (state.get(name) === 'visiting') {
      const step = flow.steps.get(path[path.length - 1] as string);
      const cycle = [...path.slice(path.indexOf(name)), name].join(' -> ');
      if (step) report('cycle', transitionOf(step)?.node ?? step.nameNode, `The flow loops: ${cycle}.`, 'a flow is acyclic; repeat work with a foreach instead of a loop');
      return;
    }
    state.set(name, 'visiting');
    for (const target of graph.steps[name]?.next ?? []) visit(target, [...path, name]);
    state.set(name, 'done');
  };
  if (graph.steps.start) visit('start', []);
  for (const step of flow.steps.values()) {
    if (!state.has(step.name) && graph.steps.start) {
      report('unreachable-step', step.nameNode, `Step '${step.name}' cannot be reached from start.`, 'call next() to it from another step, or delete it');
    }
  }
}

function splitBalance(flow: FlowSource, graph: FlowGraph, report: Report): void {
  const end = graph.steps.end;
  const endSource = flow.steps.get('end');
  if (end && endSource && end.splitParents.length > 0 && end.parents.length > 0) {
    report('unbalanced-split', endSource.nameNode, `The flow reaches 'end' with split '${end.splitParents[end.splitParents.length - 1]}' still open.`, 'join every branch and foreach before end');
  }
  for (const step of flow.steps.values()) {
    const node = graph.steps[step.name];
    if (!node || node.type !== 'join' || node.parents.length === 0) continue;
    const closing = node.splitParents[node.splitParents.length - 1];
    if (closing === undefined) {
      if (node.parents.length > 1) report('join-without-split', step.nameNode, `Join '${step.name}' closes no split.`, 'a join follows a branch (next(a, b)) or a foreach');
      continue;
    }
    const split = graph.steps[closing];
    if (split?.next.includes(step.name)) {
      const kind = split.foreach !== undefined ? 'foreach' : 'branch';
      report(`empty-${kind}`, transitionOf(flow.steps.get(closing) as StepSource)?.node ?? step.nameNode, `${kind === 'foreach' ? 'Foreach' : 'A branch of split'} '${closing}' goes straight into its join '${step.name}'.`, `add a step between the ${kind === 'foreach' ? 'foreach' : 'split'} and its join`);
      continue;
    }
    const unrelated = node.parents.filter((p) => {
      const parent = graph.steps[p];
      return parent !== undefined && openSplitsAfter(parent).pop() !== closing;
    });
    if (unrelated.length > 0) {
      report('join-mismatch', step.nameNode, `Join '${step.name}' joins ${unrelated.join(', ')}, which are not branches of split '${closing}'.`, 'a join takes exactly the branches of one split; join inner splits first');
    } else if (split && split.foreach === undefined && split.next.length !== node.parents.length) {
      report('join-mismatch', step.nameNode, `Join '${step.name}' joins ${node.parents.length} of the ${split.next.length} branches of '${closing}'.`, 'every branch of a split must reach its join');
    }
  }
}

/** The splits still open once a step has run: a join closes its last one, a split opens itself. */
function openSplitsAfter(step: GraphStep): string[] {
  const open = step.type === 'join' ? step.splitParents.slice(0, -1) : [...step.splitParents];
  return splits(step) ? [...open, step.name] : open;
}

function decoratorPlacement(flow: FlowSource, graph: FlowGraph, report: Report): void {
  for (const step of flow.steps.values()) {
    const node = graph.steps[step.name];
    const catcher = step.decorators.find((d) => CATCH_NAMES.includes(d.spec.name));
    // A caught failure takes the declared transition; a foreach split has no items to fan out over then.
    if (node?.foreach !== undefined && catcher) {
      report('catch-on-split', catcher.node, `@catch is not allowed on '${step.name}', which is a foreach split.`, 'put @catch on the steps inside the foreach instead');
    }
  }
}

function reservedArtifacts(flow: FlowSource, _graph: FlowGraph, report: Report): void {
  for (const { name, node } of flow.assignments) {
    const clash = artifactNameClash(name, flow.steps.has(name));
    if (clash) report('reserved-artifact', node, clash.message, clash.hint);
  }
}
