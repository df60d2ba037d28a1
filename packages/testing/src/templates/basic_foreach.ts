import { assertEquals } from '../assert';
import { FlowTest } from '../flowTest';
import { steps, type Checker, type FlowResult } from '../template';

/** Every task inside a foreach sees its index and item; the join sees all of them, in order. */
export default class BasicForeachTest extends FlowTest {
  @steps(0, ['foreach-inner'], { required: true })
  step_inner() {
    this.my_index = this.index;
    this.my_input = this.input;
    this.my_stack = this.foreachStack().map((frame: { index: number }) => frame.index);
    assertEquals(this.index, this.input);
  }

  @steps(0, ['foreach-join'], { required: true })
  step_join(inputs: any) {
    const indices = inputs.map((i: any) => i.index);
    assertEquals(Array.from({ length: inputs.length }, (_, i) => i), indices, 'join input order');
    // Inputs straight from the foreach body carry my_index; inputs from an inner join do not (it did not merge).
    const carried = inputs.filter((i: any) => i.my_index !== undefined);
    assertEquals(carried.map((i: any) => i.index), carried.map((i: any) => i.my_index));
  }

  @steps(1, ['all'])
  step_all() {}

  override async checkResults(flow: FlowResult, checker: Checker) {
    for (const step of flow.steps.filter((s) => flow.qualifiers[s]?.includes('foreach-inner'))) {
      const tasks = await checker.artifacts(step);
      const indices = tasks.map((t) => t.my_index as number).sort((a, b) => a - b);
      assertEquals(indices.length, new Set(tasks.map((t) => JSON.stringify(t.my_stack))).size, `${checker.name}: each task of ${step} has its own foreach position`);
      for (const task of tasks) assertEquals(task.my_index, (task.my_stack as number[]).at(-1), `${checker.name}: index is the innermost position`);
      assertEquals(true, indices[0] === 0, `${checker.name}: first index of ${step}`);
    }
  }
}
