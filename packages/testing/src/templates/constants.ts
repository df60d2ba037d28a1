import { current, Parameter } from '@flowkit/core';
import { assertEquals, assertThrows } from '../assert';
import { FlowTest } from '../flowTest';
import { steps, type Checker, type FlowResult } from '../template';

/** Class fields with initializers are constants: visible in every step, stored as artifacts, read-only; not parameters. */
export default class ConstantsTest extends FlowTest {
  str_const = 'this is a constant';
  int_const = 123;
  obj_const: unknown[] = [];
  int_param = Parameter('int_param', { default: 456 });
  str_param = Parameter('str_param', { default: 'foobar' });

  @steps(0, ['all'])
  step_all() {
    assertEquals('this is a constant', this.str_const);
    assertEquals(123, this.int_const);
    assertEquals([], this.obj_const);
    assertEquals(456, this.int_param);
    assertEquals('foobar', this.str_param);
    assertEquals(['int_param', 'str_param'], current.parameterNames.sort(), 'constants are not parameters');
    assertThrows(() => {
      this.int_param = 5;
    }, /read-only/);
    assertThrows(() => {
      this.int_const = 122;
    }, /constant of the flow .* read-only/);
  }

  override async checkResults(flow: FlowResult, checker: Checker) {
    for (const step of flow.steps) {
      await this.assertArtifact(checker, step, 'int_param', 456);
      await this.assertArtifact(checker, step, 'int_const', 123);
      await this.assertArtifact(checker, step, 'str_const', 'this is a constant');
    }
  }
}
