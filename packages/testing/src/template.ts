import type { Run } from '@flowkit/client';
import type { FlowTest } from './flowTest';
import type { GraphSpec } from './graphs';

/**
 * Marks a template method as the body of every step carrying one of `qualifiers`; among several
 * matches the lowest `priority` wins. `required`: the test only applies to graphs where this body is used.
 * It does nothing at run time: the generator reads it from the template's source.
 */
export function steps(_priority: number, _qualifiers: string[], _options: { required?: boolean } = {}) {
  return (..._args: unknown[]): void => undefined;
}

/** What checkResults gets about the run it checks. */
export interface FlowResult {
  flowName: string;
  runId: string;
  /** Steps of the graph, in its order. */
  steps: string[];
  /** Qualifiers of each step. */
  qualifiers: Record<string, string[]>;
  graph: GraphSpec;
  /** For a resume test: the run that failed and was resumed. */
  originRunId?: string;
}

/** Reads a run's results; the CLI checker and the client checker must agree on every test. */
export interface Checker {
  readonly name: string;
  /** Each finished task's artifacts (JSON-comparable values), in task order. */
  artifacts(step: string): Promise<Array<Record<string, unknown>>>;
  /** What a step's tasks printed, concatenated in task order. */
  log(step: string, stream: 'stdout' | 'stderr'): Promise<string>;
  /** The run's user tags. */
  tags(): Promise<string[]>;
  systemTags(): Promise<string[]>;
  addTags(tags: string[]): Promise<void>;
  removeTags(tags: string[]): Promise<void>;
  replaceTags(remove: string[], add: string[]): Promise<void>;
  /** The run through the client API, for checks only code can make; undefined for the CLI checker. */
  run(): Promise<Run | undefined>;
}

export type TemplateClass = new () => FlowTest;
