import { current } from '@flowkit/core';
import { assertEquals, assertThrows, assertTrue } from '../assert';
import { FlowTest } from '../flowTest';
import { steps } from '../template';

/** mergeArtifacts({ include }) merges only what it names, refuses names no input carries, and sets nothing when it fails. */
export default class MergeArtifactsIncludeTest extends FlowTest {
  @steps(0, ['start'])
  start() {
    this.non_modified_passdown = 'a';
    this.modified_to_same_value = 'b';
    this.manual_merge_required = 'c';
    this.ignore_me = 'd';
  }

  @steps(2, ['linear'])
  modify_things() {
    this.manual_merge_required = current.taskId;
    this.ignore_me = current.taskId;
    this.modified_to_same_value = 'e';
    assertEquals('a', this.non_modified_passdown);
  }

  @steps(0, ['join'], { required: true })
  merge_things(inputs: any) {
    this.manual_merge_required = current.taskId;
    assertThrows(() => this.mergeArtifacts(inputs, { include: ['manual_merge_required', 'foobar'] }), /'foobar'/);
    assertTrue(!('non_modified_passdown' in this), 'a failed merge sets nothing');
    this.mergeArtifacts(inputs, { include: ['non_modified_passdown'] });
    assertEquals('a', this.non_modified_passdown);
    assertEquals(current.taskId, this.manual_merge_required);
    assertTrue(!('ignore_me' in this), 'ignore_me was not included');
    assertTrue(!('modified_to_same_value' in this), 'modified_to_same_value was not included');
  }

  @steps(0, ['end'])
  end() {
    assertEquals('a', this.non_modified_passdown);
    assertTrue('manual_merge_required' in this, 'manual_merge_required reaches end');
  }

  @steps(3, ['all'])
  step_all() {
    assertEquals('a', this.non_modified_passdown);
  }
}
