import { catchError, timeout } from '@flowkit/core';
import { assertTrue } from '../assert';
import { FlowTest } from '../flowTest';
import { steps, type Checker, type FlowResult } from '../template';

/** @timeout stops a task that runs too long (the process is killed, whatever it is doing); @catchError records it. */
export default class TimeoutDecoratorTest extends FlowTest {
  @steps(0, ['foreach-split'])
  step_split() {}

  @steps(0, ['singleton-start', 'foreach-inner'], { required: true })
  @catchError({ var: 'ex', printException: false })
  @timeout({ seconds: 1 })
  async step_sleep() {
    this.check = true;
    const until = Date.now() + 5000;
    while (Date.now() < until); // busy: a timeout must not depend on the event loop
  }

  @steps(1, ['all'])
  step_all() {}

  override async checkResults(flow: FlowResult, checker: Checker) {
    const slept = flow.steps.filter((s) => (s === 'start' && !flow.graph.steps.start?.foreach) || (flow.qualifiers[s]?.includes('foreach-inner') && !flow.graph.steps[s]?.foreach));
    assertTrue(slept.length > 0, 'some step sleeps');
    for (const step of slept) {
      for (const task of await checker.artifacts(step)) {
        assertTrue(/timed out after 1 s/.test((task.ex as any)?.message), `${checker.name}: ${step} caught its timeout: ${JSON.stringify(task.ex)}`);
        assertTrue(!('check' in task), `${checker.name}: the killed attempt's artifacts are not visible`);
      }
    }
  }
}
