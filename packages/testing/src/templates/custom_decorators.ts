import { current } from '@flowkit/core';
import { makeStepDecorator, PluginError, registry } from '@flowkit/core/plugin';
import { assertEquals } from '../assert';
import { FlowTest } from '../flowTest';
import { steps, type Checker, type FlowResult } from '../template';

class Recoverable extends Error {}

/**
 * A step decorator written in the flow file itself: every hook (validate, onLaunch, beforeStep, onStepError,
 * afterStep) runs, and afterStep's artifacts are stored.
 */
const stamp = makeStepDecorator<{ label: string }>('stamp');
registry.use({
  name: 'conformance-custom-decorators',
  register(plugins) {
    plugins.addStepDecorator({
      name: 'stamp',
      validate(attributes) {
        if (typeof attributes.label !== 'string') throw new PluginError('@stamp needs a label.', { hint: "@stamp({ label: 'x' })" });
        return attributes;
      },
      onLaunch(attributes, plan) {
        plan.env.STAMP_LABEL = attributes.label as string;
      },
      beforeStep(context) {
        (context.flow as unknown as Record<string, unknown>).stamped_before = `${context.attributes.label}:${context.task.stepName}`;
      },
      onStepError(context, error) {
        if (!(error instanceof Recoverable)) return false;
        (context.flow as unknown as Record<string, unknown>).recovered = error.message;
        return true;
      },
      afterStep(context, outcome) {
        const samePathspec = context.task.pathspec === current.pathspec;
        (context.flow as unknown as Record<string, unknown>).stamped_after = `${context.attributes.label}:${samePathspec}:${outcome.ok}:${outcome.handled}`;
      },
    });
  },
});

export default class CustomDecoratorsTest extends FlowTest {
  @steps(0, ['all'])
  @stamp({ label: 'hello' })
  step_all() {
    assertEquals(`hello:${current.stepName}`, this.stamped_before);
    assertEquals('hello', process.env.STAMP_LABEL);
    if (current.stepName === 'end') throw new Recoverable('handled by @stamp');
  }

  override async checkResults(flow: FlowResult, checker: Checker) {
    for (const step of flow.steps) {
      await this.assertArtifact(checker, step, 'stamped_before', `hello:${step}`);
      await this.assertArtifact(checker, step, 'stamped_after', `hello:true:true:${step === 'end'}`);
    }
    await this.assertArtifact(checker, 'end', 'recovered', 'handled by @stamp');
  }
}
