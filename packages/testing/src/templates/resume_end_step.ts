import { Task } from '@flowkit/client';
import { assertEquals, assertTrue, isResumed, ResumeFromHere } from '../assert';
import { FlowTest } from '../flowTest';
import { steps, type Checker, type FlowResult } from '../template';

/** Resuming from a failed end step clones every other task from the origin run and re-runs only end. */
export default class ResumeEndStepTest extends FlowTest {
  override resume = true;

  @steps(0, ['start'])
  step_start() {
    this.data = 'start';
  }

  @steps(0, ['singleton-end'], { required: true })
  step_end() {
    if (isResumed()) this.data = 'foo';
    else {
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
    for (const step of flow.steps) await this.assertArtifact(checker, step, 'data', step === 'end' ? 'foo' : 'start');
    const run = await checker.run();
    if (!run) return;
    for (const step of await run.steps()) {
      for (const task of await step.tasks()) {
        const origin = await task.originPathspec;
        if (step.id === 'end') assertEquals(undefined, origin, 'end re-ran');
        else {
          assertTrue(origin?.startsWith(`${flow.flowName}/${flow.originRunId}/${step.id}/`), `${task.pathspec} was cloned from the origin run (got ${origin})`);
          assertEquals(await new Task(origin as string).data.data, await task.data.data, `${task.pathspec} has its origin's artifacts`);
        }
      }
    }
  }
}
