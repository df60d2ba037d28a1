import { assertEquals } from './assert';
import type { Checker, FlowResult } from './template';

/**
 * Base of every test template. Methods marked @steps(...) are copied into generated flows;
 * everything else here runs in the harness, after the flow ran.
 */
export abstract class FlowTest {
  /** Template step bodies assign artifacts to `this`; in the flow, `this` is the flow. */
  [key: string]: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Lower runs first when a run is sorted by priority (for reports). */
  priority = 0;
  /** The run is expected to fail (checkResults still runs). */
  shouldFail = false;
  /** Extra `flowkit run` arguments. */
  runArgs: string[] = [];
  /** Extra environment of the run. */
  env: Record<string, string> = {};
  /** Files written into the run's working directory before it starts. */
  files: Record<string, string> = {};
  /** The run must fail (a step throws ResumeFromHere), then `flowkit resume` must finish it; the checks see the resumed run. */
  resume = false;
  /** The step `resume` starts from; by default the one that failed. */
  resumeStep?: string;
  /** Artifacts so large that a whole run's values would not fit one JSON text: the CLI checker dumps step by step. */
  largeArtifacts = false;

  /** Checks the finished run through a checker; the default checks nothing. */
  async checkResults(_flow: FlowResult, _checker: Checker): Promise<void> {}

  /** Every task of `step` has `name` equal to `value`. */
  async assertArtifact(checker: Checker, step: string, name: string, value: unknown): Promise<void> {
    const tasks = await checker.artifacts(step);
    assertEquals(true, tasks.length > 0, `${checker.name}: tasks of ${step}`);
    for (const artifacts of tasks) assertEquals(value, artifacts[name], `${checker.name}: ${step}.${name}`);
  }
}
