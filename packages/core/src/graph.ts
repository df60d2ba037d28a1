import type { DecoratorSpec } from './decorators';

/**
 * The static shape of a flow, as @flowkit/graph reads it from source. Core owns the type so the
 * runtime, decorators and plugins can all speak about steps without depending on the parser.
 *
 * `type` follows Metaflow: start and end by name; join when the step takes `inputs`; otherwise what
 * its next() does: `split-and` (several targets), `foreach`, or `linear`.
 */
export type StepType = 'start' | 'linear' | 'split-and' | 'foreach' | 'join' | 'end';

export interface GraphStep {
  name: string;
  type: StepType;
  /** Targets of the step's next(), in order. */
  next: string[];
  /** The artifact a foreach step fans out over. */
  foreach?: string;
  /** Steps whose next() names this one. */
  parents: string[];
  /** Open splits enclosing this step, outermost first; a join's end with the split it closes. */
  splitParents: string[];
  /** For a split: the join that closes it. */
  matchingJoin?: string;
  /** Decorators written on the method, top first. */
  decorators: DecoratorSpec[];
  /** The method's JSDoc, if any. */
  doc?: string;
  line: number;
  column: number;
}

export interface FlowGraph {
  flowName: string;
  /** Absolute path of the source file. */
  file: string;
  doc?: string;
  /** Steps in source order. */
  steps: Record<string, GraphStep>;
  /** Step names from start to end, parents before children. */
  order: string[];
  /** Decorators written on the class, top first. */
  decorators: DecoratorSpec[];
}

/** The pseudo-step of a run holding the graph it ran with: task 0, one artifact, `graph` (a RunGraph). */
export const GRAPH_STEP = '_graph';

/** A step as stored with a run: its shape and its decorators' names, never their attributes (an @environment may hold secrets). */
export type RunGraphStep = Pick<GraphStep, 'name' | 'type' | 'next' | 'foreach' | 'parents' | 'splitParents' | 'matchingJoin' | 'doc' | 'line'> & { decorators: string[] };

/** The graph a run ran with, so readers can draw steps that have no task yet. */
export interface RunGraph {
  flowName: string;
  doc?: string;
  /** Step names from start to end, parents before children. */
  order: string[];
  steps: Record<string, RunGraphStep>;
}

export function runGraphOf(graph: FlowGraph): RunGraph {
  const steps = Object.fromEntries(
    graph.order.map((name) => {
      const { type, next, foreach, parents, splitParents, matchingJoin, doc, line, decorators } = graph.steps[name] as GraphStep;
      // Fresh arrays: v8 serializes a shared one as a reference, and the same graph must always hash the same.
      const step: RunGraphStep = { name, type, next: [...next], parents: [...parents], splitParents: [...splitParents], line, decorators: decorators.map((d) => d.name) };
      if (foreach !== undefined) step.foreach = foreach;
      if (matchingJoin !== undefined) step.matchingJoin = matchingJoin;
      if (doc !== undefined) step.doc = doc;
      return [name, step];
    }),
  );
  return { flowName: graph.flowName, ...(graph.doc === undefined ? {} : { doc: graph.doc }), order: [...graph.order], steps };
}
