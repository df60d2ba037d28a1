import { assertEquals } from '../assert';
import { FlowTest } from '../flowTest';
import { type Checker, type FlowResult } from '../template';

/** Tags given at run time, unicode and spaces included, read back through every checker. */
export default class BasicTagsTest extends FlowTest {
  override runArgs = ['--tag', 'ünïcödé ✓', '--tag', 'with space', '--tag', 'plain'];

  override async checkResults(_flow: FlowResult, checker: Checker) {
    assertEquals(['ünïcödé ✓', 'with space', 'plain'], await checker.tags(), `${checker.name}: tags`);
  }
}
