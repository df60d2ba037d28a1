import { current } from '@flowkit/core';
import { assertEquals } from '../assert';
import { FlowTest } from '../flowTest';
import { steps, type Checker, type FlowResult } from '../template';

/** What a step prints to stdout and stderr is kept per task, unicode included. */
export default class BasicLogTest extends FlowTest {
  @steps(0, ['all'])
  step_all() {
    console.log(`stdout of ${current.stepName} ✓`);
    console.error(`stderr of ${current.stepName} ✗`);
  }

  override async checkResults(flow: FlowResult, checker: Checker) {
    for (const step of flow.steps) {
      const tasks = (await checker.artifacts(step)).length;
      assertEquals(`stdout of ${step} ✓\n`.repeat(tasks), await checker.log(step, 'stdout'), `${checker.name}: stdout of ${step}`);
      assertEquals(`stderr of ${step} ✗\n`.repeat(tasks), await checker.log(step, 'stderr'), `${checker.name}: stderr of ${step}`);
    }
  }
}
