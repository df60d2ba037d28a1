import { current, Parameter } from '@flowkit/core';
import { assertEquals, isResumed, ResumeFromHere } from '../assert';
import { FlowTest } from '../flowTest';
import { steps, type Checker, type FlowResult } from '../template';

/** Resuming from a failed start step re-runs everything, keeps the parameters, and knows its origin run. */
export default class ResumeStartStepTest extends FlowTest {
  override resume = true;
  int_param = Parameter('int_param', { default: 123 });

  @steps(0, ['singleton-start'], { required: true })
  step_start() {
    if (isResumed()) {
      this.data = 'foo';
      this.actual_origin_run_id = current.originRunId;
    } else {
      this.data = 'bar';
      throw new ResumeFromHere();
    }
  }

  @steps(2, ['join'])
  step_join(inputs: any) {
    this.mergeArtifacts(inputs);
  }

  @steps(3, ['all'])
  step_all() {}

  override async checkResults(flow: FlowResult, checker: Checker) {
    for (const step of flow.steps) {
      await this.assertArtifact(checker, step, 'data', 'foo');
      await this.assertArtifact(checker, step, 'int_param', 123);
      await this.assertArtifact(checker, step, 'actual_origin_run_id', flow.originRunId);
    }
    const run = await checker.run();
    if (!run) return;
    assertEquals(flow.originRunId, await run.originRunId, 'the run records its origin');
    const start = await run.step('start').task;
    assertEquals(undefined, await start?.originPathspec, 'start re-ran: it was not cloned');
  }
}
