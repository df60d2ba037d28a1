import { assertEquals } from '../assert';
import { FlowTest } from '../flowTest';
import { steps, type Checker, type FlowResult } from '../template';

/** A 1200-way foreach: the join sees every input in order, and the client lists every task. */
export default class WideForeachTest extends FlowTest {
  override runArgs = ['--max-num-splits', '1200'];

  @steps(0, ['foreach-split-small'], { required: true })
  split() {
    this.my_index = null;
    this.arr = Array.from({ length: 1200 }, (_, i) => i);
  }

  @steps(0, ['foreach-inner-small'], { required: true })
  inner() {
    this.my_input = this.input;
  }

  @steps(0, ['foreach-join-small'], { required: true })
  join(inputs: any) {
    assertEquals(Array.from({ length: 1200 }, (_, i) => i), inputs.map((i: any) => i.my_input));
  }

  @steps(1, ['all'])
  step_all() {}

  override async checkResults(_flow: FlowResult, checker: Checker) {
    const run = await checker.run();
    if (!run) return;
    const tasks = await run.step('inner').tasks();
    const inputs = await Promise.all(tasks.map((t) => t.data.my_input as Promise<number>));
    assertEquals(Array.from({ length: 1200 }, (_, i) => i), inputs.sort((a, b) => a - b), 'client reads every task');
  }
}
