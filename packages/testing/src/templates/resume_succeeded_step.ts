import { Parameter } from '@flowkit/core';
import { isResumed, ResumeFromHere } from '../assert';
import { FlowTest } from '../flowTest';
import { steps, type Checker, type FlowResult } from '../template';

/** `resume a` re-runs step a although it succeeded, and what follows it; steps before it are cloned. */
export default class ResumeSucceededStepTest extends FlowTest {
  override resume = true;
  override resumeStep = 'a';
  int_param = Parameter('int_param', { default: 123 });

  @steps(0, ['start'])
  step_start() {
    this.data = isResumed() ? 'start_r' : 'start';
  }

  @steps(0, ['singleton-end'], { required: true })
  step_end() {
    if (isResumed()) this.data = 'end_r';
    else {
      this.data = 'end';
      throw new ResumeFromHere();
    }
  }

  @steps(1, ['a'], { required: true })
  step_a() {
    this.data = isResumed() ? 'test_r' : 'test';
  }

  @steps(2, ['all'])
  step_all() {
    this.data = isResumed() ? 'test_r' : 'test';
  }

  override async checkResults(_flow: FlowResult, checker: Checker) {
    await this.assertArtifact(checker, 'start', 'data', 'start');
    await this.assertArtifact(checker, 'a', 'data', 'test_r');
    await this.assertArtifact(checker, 'end', 'data', 'end_r');
  }
}
