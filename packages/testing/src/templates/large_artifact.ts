import { assertEquals } from '../assert';
import { FlowTest } from '../flowTest';
import { steps, type Checker, type FlowResult } from '../template';

/** A large numeric artifact and a large string travel to the end unchanged (typed-array and v8 paths). */
export default class LargeArtifactTest extends FlowTest {
  override largeArtifacts = true;

  @steps(0, ['start'])
  step_start() {
    this.numbers = Float64Array.from({ length: 1 << 19 }, (_, i) => i * 0.5);
    this.text = 'λ'.repeat(1 << 21);
  }

  @steps(1, ['join'])
  step_join(inputs: any) {
    this.numbers = inputs[0].numbers;
    this.text = inputs[0].text;
  }

  @steps(2, ['all'])
  step_all() {
    assertEquals(1 << 19, this.numbers.length);
    assertEquals(((1 << 19) - 1) * 0.5, this.numbers[(1 << 19) - 1]);
    assertEquals(1 << 21, this.text.length);
  }

  override async checkResults(_flow: FlowResult, checker: Checker) {
    const [end] = await checker.artifacts('end');
    const numbers = end?.numbers as number[];
    assertEquals([1 << 19, 1.5, ((1 << 19) - 1) * 0.5], [numbers.length, numbers[3], numbers[numbers.length - 1]], `${checker.name}: numbers`);
    assertEquals(1 << 21, (end?.text as string).length, `${checker.name}: text`);
  }
}
