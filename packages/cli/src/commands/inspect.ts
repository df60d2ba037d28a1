import { graphPackage, resolveFlowFile } from '../flow';

export type ShowFormat = 'text' | 'mermaid' | 'dot' | 'json';

/** `flowkit show`: the flow's steps and transitions, in the chosen format. */
export async function showCommand(file: string, format: ShowFormat): Promise<number> {
  const { loadGraph, formatIssue, renderDot, renderMermaid, renderText } = await graphPackage();
  const { graph, issues } = loadGraph(resolveFlowFile(file));
  const render = { text: renderText, mermaid: renderMermaid, dot: renderDot, json: (g: typeof graph) => JSON.stringify(g, null, 2) }[format];
  process.stdout.write(`${render(graph)}\n`);
  for (const issue of issues) process.stderr.write(`${formatIssue(issue)}\n`);
  return issues.length > 0 ? 1 : 0;
}

/** `flowkit check`: every lint rule, plus a type-check when the flow has a tsconfig. */
export async function checkCommand(file: string): Promise<number> {
  const { loadGraph, formatIssue, typeCheck } = await graphPackage();
  const path = resolveFlowFile(file);
  const { issues } = loadGraph(path);
  const all = [...issues, ...typeCheck(path)];
  if (all.length === 0) {
    process.stdout.write('The graph looks good!\n');
    return 0;
  }
  for (const issue of all) process.stderr.write(`${formatIssue(issue)}\n`);
  process.stderr.write(`${all.length} problem${all.length === 1 ? '' : 's'} found.\n`);
  return 1;
}
