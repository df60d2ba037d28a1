import { current } from '@flowkit/core';
import { FlowTest } from '../flowTest';
import type { GraphSpec } from '../graphs';
import { steps, type Checker, type FlowResult } from '../template';

/** Each task's path through the graph, built from its inputs, equals the path the graph predicts. */
export default class LineageTest extends FlowTest {
  @steps(0, ['start'])
  step_start() {
    this.lineage = [current.stepName];
  }

  @steps(1, ['join'])
  step_join(inputs: any) {
    // Foreach inputs share one lineage: keep the distinct ones, in a stable order.
    const distinct = [...new Set(inputs.map((i: any) => JSON.stringify(i.lineage)))].sort() as string[];
    this.lineage = [distinct.map((l) => JSON.parse(l)), current.stepName];
  }

  @steps(2, ['all'])
  step_all() {
    this.lineage = [...this.lineage, current.stepName];
  }

  override async checkResults(flow: FlowResult, checker: Checker) {
    for (const [step, lineage] of expectedLineages(flow.graph)) await this.assertArtifact(checker, step, 'lineage', lineage);
  }
}

/** Walks every path from start; a join's lineage is the sorted set of its branches' lineages. */
function expectedLineages(graph: GraphSpec): Map<string, unknown[]> {
  const arrivals = new Map<string, Set<string>>();
  const lineages = new Map<string, unknown[]>();
  const parents = (name: string) => Object.values(graph.steps).filter((s) => s.next?.includes(name)).length;
  const walk = (name: string, path: unknown[]) => {
    let prefix = path;
    if (graph.steps[name]?.join) {
      const seen = arrivals.get(name) ?? new Set<string>();
      arrivals.set(name, seen.add(JSON.stringify(path)));
      if (seen.size < parents(name)) return;
      prefix = [[...seen].sort().map((l) => JSON.parse(l))];
    }
    lineages.set(name, [...prefix, name]);
    for (const next of graph.steps[name]?.next ?? []) walk(next, [...prefix, name]);
  };
  walk('start', []);
  return lineages;
}
