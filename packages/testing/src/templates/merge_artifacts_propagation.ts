import { assertEquals } from '../assert';
import { FlowTest } from '../flowTest';
import { steps } from '../template';

/** An artifact set on one foreach branch only is merged down unchanged. */
export default class MergeArtifactsPropagationTest extends FlowTest {
  @steps(0, ['start'])
  start() {
    this.non_modified_passdown = 'a';
  }

  @steps(0, ['foreach-inner-small'], { required: true })
  modify_things() {
    this[`var${this.index}`] = this.index;
  }

  @steps(0, ['foreach-join-small'], { required: true })
  merge_things(inputs: any) {
    this.mergeArtifacts(inputs);
    assertEquals('a', this.non_modified_passdown);
    inputs.forEach((_: unknown, i: number) => assertEquals(i, this[`var${i}`]));
  }

  @steps(1, ['all'])
  step_all() {
    assertEquals('a', this.non_modified_passdown);
  }
}
