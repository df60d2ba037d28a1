import { assertEquals } from '../assert';
import { FlowTest } from '../flowTest';
import { steps, type Checker, type FlowResult } from '../template';

/** Nested foreaches: every frame of the stack names its artifact, position and size; every combination runs once. */
export default class NestedForeachTest extends FlowTest {
  @steps(0, ['foreach-nested-split'], { required: true })
  step_split() {}

  @steps(1, ['foreach-inner'], { required: true })
  inner() {
    const stack = this.foreachStack();
    for (const frame of stack) {
      assertEquals(this[frame.var].length, frame.numSplits, `size of ${frame.var}`);
      assertEquals(frame.index, this[frame.var][frame.index], `item of ${frame.var}`);
    }
    this.combo = stack.map((frame: any) => `${frame.var}${frame.index}`).join('');
  }

  @steps(2, ['all'])
  step_all() {}

  override async checkResults(flow: FlowResult, checker: Checker) {
    const innermost = flow.steps.filter((s) => flow.qualifiers[s]?.includes('foreach-inner') && !flow.qualifiers[s]?.includes('foreach-split'));
    const got = (await Promise.all(innermost.map((s) => checker.artifacts(s)))).flat().map((t) => t.combo).sort();
    const splits = Object.values(flow.graph.steps).flatMap((s) => (s.foreach ? [s.foreach] : []));
    const expected = splits.reduce<string[]>((combos, f) => combos.flatMap((c) => Array.from({ length: f.items }, (_, i) => `${c}${f.var}${i}`)), ['']).sort();
    assertEquals(expected, got, `${checker.name}: every combination once`);
  }
}
