import type { FlowGraph } from '@flowkit/core/plugin';

function edgeLabel(graph: FlowGraph, from: string): string | undefined {
  const foreach = graph.steps[from]?.foreach;
  return foreach === undefined ? undefined : `foreach ${foreach}`;
}

/** Steps in flow order: name, type, doc, then where it goes. */
export function renderText(graph: FlowGraph): string {
  const lines = [`${graph.flowName}${graph.doc ? `\n${indent(graph.doc, '  ')}` : ''}`, ''];
  for (const name of orderedSteps(graph)) {
    const step = graph.steps[name];
    if (!step) continue;
    lines.push(`Step ${name} (${step.type})`);
    if (step.doc) lines.push(indent(step.doc, '    '));
    if (step.next.length > 0) lines.push(`    => ${step.next.join(', ')}${step.foreach ? ` (foreach over ${step.foreach})` : ''}`);
    lines.push('');
  }
  return lines.join('\n').trimEnd();
}

export function renderMermaid(graph: FlowGraph): string {
  const lines = ['flowchart TD'];
  for (const name of orderedSteps(graph)) {
    const step = graph.steps[name];
    lines.push(`  ${name}["${name}"]`);
    for (const target of step?.next ?? []) {
      const label = edgeLabel(graph, name);
      lines.push(label ? `  ${name} -- "${label}" --> ${target}` : `  ${name} --> ${target}`);
    }
  }
  return lines.join('\n');
}

export function renderDot(graph: FlowGraph): string {
  const lines = [`digraph ${graph.flowName} {`, '  node [shape=box];'];
  for (const name of orderedSteps(graph)) {
    lines.push(`  ${name};`);
    for (const target of graph.steps[name]?.next ?? []) {
      const label = edgeLabel(graph, name);
      lines.push(label ? `  ${name} -> ${target} [label="${label}"];` : `  ${name} -> ${target};`);
    }
  }
  lines.push('}');
  return lines.join('\n');
}

/** Flow order first, then any steps the flow cannot reach (so nothing is hidden). */
function orderedSteps(graph: FlowGraph): string[] {
  return [...graph.order, ...Object.keys(graph.steps).filter((name) => !graph.order.includes(name))];
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => `${prefix}${line}`)
    .join('\n');
}
