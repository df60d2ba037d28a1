import { assertEquals } from '../assert';
import { FlowTest } from '../flowTest';
import { steps, type Checker, type FlowResult } from '../template';

/** An artifact set in start reaches every step; joins carry it on explicitly. */
export default class BasicArtifactTest extends FlowTest {
  @steps(0, ['start'])
  step_start() {
    this.data = 'abc';
  }

  @steps(1, ['join'])
  step_join(inputs: any) {
    this.data = inputs[0].data;
    for (const input of inputs) assertEquals('abc', input.data);
  }

  @steps(2, ['all'])
  step_all() {
    assertEquals('abc', this.data);
  }

  override async checkResults(flow: FlowResult, checker: Checker) {
    for (const step of flow.steps) await this.assertArtifact(checker, step, 'data', 'abc');
  }
}
