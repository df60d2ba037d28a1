import type { FlowGraph } from '@flowkit/core/plugin';
import { buildGraph } from './buildGraph';
import { readFlowSource } from './flowSource';
import { lint, type LintIssue } from './lint';
import { parseSource } from './source';

export type { LintIssue } from './lint';
export { renderDot, renderMermaid, renderText } from './render';
export { typeCheck } from './typecheck';

/**
 * Reads a flow's graph from its source, parsed (no flow code runs), and lints it.
 * A file that cannot hold a flow (missing, another language, syntax error, not exactly one FlowSpec
 * subclass) throws FlowDefinitionError; an invalid flow comes back with its issues.
 */
export function loadGraph(file: string): { graph: FlowGraph; issues: LintIssue[] } {
  const source = parseSource(file);
  const flow = readFlowSource(source);
  const graph = buildGraph(flow, source.fileName);
  return { graph, issues: lint(flow, graph) };
}

/** `file:line:col: message [rule]` and the hint on the next line. */
export function formatIssue(issue: LintIssue): string {
  return `${issue.file}:${issue.line}:${issue.column}: ${issue.message} [${issue.rule}]\n  hint: ${issue.hint}`;
}
