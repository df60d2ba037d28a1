import { assertEquals, assertThrows } from '../assert';
import { FlowTest } from '../flowTest';
import { steps, type Checker, type FlowResult } from '../template';

/** mergeArtifacts: identical values merge, differing ones are reported and can be set or excluded. */
export default class MergeArtifactsTest extends FlowTest {
  @steps(0, ['start'])
  step_start() {
    this.non_modified_passdown = 'a';
    this.modified_to_same = 'a';
    this.manual_merge_required = 'a';
    this.ignore_me = 'a';
  }

  @steps(1, ['join'], { required: true })
  step_join(inputs: any) {
    const differs = new Set(inputs.map((i: any) => i.manual_merge_required)).size > 1;
    if (differs) assertThrows(() => this.mergeArtifacts(inputs), /manual_merge_required/);
    this.manual_merge_required = 'merged';
    this.mergeArtifacts(inputs, { exclude: ['ignore_me'] });
    assertEquals('a', this.non_modified_passdown);
    assertEquals('a', this.modified_to_same);
  }

  @steps(2, ['all'])
  step_all() {
    this.modified_to_same = 'a';
    this.manual_merge_required = `${this.manual_merge_required}-${Math.random()}`;
    this.ignore_me = Math.random();
  }

  override async checkResults(_flow: FlowResult, checker: Checker) {
    await this.assertArtifact(checker, 'end', 'non_modified_passdown', 'a');
    await this.assertArtifact(checker, 'end', 'modified_to_same', 'a');
    const [end] = await checker.artifacts('end');
    assertEquals(true, String(end?.manual_merge_required).startsWith('merged'), `${checker.name}: manual_merge_required in end`);
  }
}
