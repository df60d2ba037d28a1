import { makeFlowDecorator, registry } from '@flowkit/core/plugin';
import { assertEquals } from '../assert';
import { FlowTest } from '../flowTest';
import { steps } from '../template';

/** A flow decorator from a plugin (here defined in the flow file) shapes every task of the flow. */
const testFlowDecorator = makeFlowDecorator<{ foobar: string }>('test_flow_decorator');
registry.use({
  name: 'conformance-flow-options',
  register(plugins) {
    plugins.addFlowDecorator({
      name: 'test_flow_decorator',
      onLaunch(attributes, _step, plan) {
        plan.env.FLOWKIT_FOOBAR = String(attributes.foobar);
      },
    });
  },
});

@testFlowDecorator({ foobar: 'this_is_foobar' })
export default class FlowOptionsTest extends FlowTest {
  @steps(0, ['all'])
  step_all() {
    assertEquals('this_is_foobar', process.env.FLOWKIT_FOOBAR);
  }
}
