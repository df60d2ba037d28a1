import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** A graph shape as the JSON files under graphs/ describe it. */
export interface GraphSpec {
  name: string;
  steps: Record<string, StepSpec>;
}

export interface StepSpec {
  /** Targets of next(). */
  next?: string[];
  /** A foreach: its artifact and how many items it fans out over. */
  foreach?: { var: string; items: number };
  /** The step takes inputs. */
  join?: boolean;
  /** Extra qualifiers templates can select this step by. */
  quals?: string[];
}

export const GRAPHS_DIR = join(__dirname, '..', 'graphs');

export function loadGraphs(dir = GRAPHS_DIR): GraphSpec[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as GraphSpec);
}

/**
 * The qualifiers of every step: `all`, the step's own name, `start`/`end`, `join`, `linear`,
 * `foreach-split` / `foreach-inner` / `foreach-join`, `foreach-nested-split` (a foreach inside one),
 * `split-and`, `in-foreach`, `singleton` (runs once per run) with `singleton-start`/`singleton-end`,
 * plus the graph's own.
 */
export function qualifiers(graph: GraphSpec): Map<string, Set<string>> {
  const result = new Map<string, Set<string>>();
  const parentsOf = (name: string) => Object.entries(graph.steps).filter(([, s]) => (s.next ?? []).includes(name)).map(([n]) => n);
  const openForeach = foreachDepths(graph);
  for (const [name, step] of Object.entries(graph.steps)) {
    const quals = new Set(['all', name, ...(step.quals ?? [])]);
    if (name === 'start' || name === 'end') quals.add(name);
    if (step.join) quals.add('join');
    if (step.foreach) quals.add('foreach-split');
    else if ((step.next ?? []).length > 1) quals.add('split-and');
    else if (!step.join && name !== 'end') quals.add('linear');
    if (parentsOf(name).some((p) => graph.steps[p]?.foreach)) quals.add('foreach-inner');
    if (step.join && openForeach.closes.has(name)) quals.add('foreach-join');
    const inForeach = (openForeach.depth.get(name) ?? 0) > 0;
    if (inForeach) quals.add('in-foreach');
    else quals.add('singleton');
    if (step.foreach && inForeach) quals.add('foreach-nested-split');
    if (!inForeach && (name === 'start' || name === 'end')) quals.add(`singleton-${name}`);
    result.set(name, quals);
  }
  return result;
}

/** How deep in foreaches each step is, and which joins close a foreach. */
function foreachDepths(graph: GraphSpec): { depth: Map<string, number>; closes: Set<string> } {
  const depth = new Map<string, number>();
  const closes = new Set<string>();
  const visit = (name: string, stack: boolean[]) => {
    if (depth.has(name)) return;
    const step = graph.steps[name];
    if (!step) return;
    let open = stack;
    if (step.join) {
      if (open[open.length - 1]) closes.add(name);
      open = open.slice(0, -1);
    }
    depth.set(name, open.filter(Boolean).length);
    if (step.foreach || (step.next ?? []).length > 1) open = [...open, step.foreach !== undefined];
    for (const next of step.next ?? []) visit(next, open);
  };
  visit('start', []);
  return { depth, closes };
}
