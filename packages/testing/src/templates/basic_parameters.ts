import { Parameter } from '@flowkit/core';
import { assertEquals, assertThrows } from '../assert';
import { FlowTest } from '../flowTest';
import { steps, type Checker, type FlowResult } from '../template';

/** Parameters are typed, visible in every step (joins included), overridable, and read-only. */
export default class BasicParametersTest extends FlowTest {
  override runArgs = ['--str_param', 'from the command line'];
  int_param = Parameter('int_param', { default: 123 });
  str_param = Parameter('str_param', { default: 'foo' });
  json_param = Parameter('json_param', { type: 'json', default: { a: [1, 2] } });
  bool_param = Parameter('bool_param', { default: false });

  @steps(0, ['all'])
  step_all() {
    assertEquals(123, this.int_param);
    assertEquals('from the command line', this.str_param);
    assertEquals({ a: [1, 2] }, this.json_param);
    assertEquals(false, this.bool_param);
    assertThrows(() => {
      this.int_param = 5;
    }, /read-only/);
  }

  override async checkResults(flow: FlowResult, checker: Checker) {
    for (const step of flow.steps) {
      await this.assertArtifact(checker, step, 'int_param', 123);
      await this.assertArtifact(checker, step, 'str_param', 'from the command line');
    }
  }
}
