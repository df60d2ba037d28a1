import { current, Parameter } from '@flowkit/core';
import { assertEquals } from '../assert';
import { FlowTest } from '../flowTest';
import { steps } from '../template';

/** current.parameterNames lists the flow's parameters, in every step. */
export default class ParamNamesTest extends FlowTest {
  foo = Parameter('foo', { default: 1 });

  @steps(0, ['all'])
  step_all() {
    assertEquals(['foo'], current.parameterNames);
  }
}
