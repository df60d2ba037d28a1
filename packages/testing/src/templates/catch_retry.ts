import { catchError, current, retry } from '@flowkit/core';
import { assertEquals } from '../assert';
import { FlowTest } from '../flowTest';
import { steps, type Checker, type FlowResult } from '../template';

class FlakyError extends Error {}

/** @retry runs a failing step again (the latest attempt wins); @catchError after the last retry records the error. */
export default class CatchRetryTest extends FlowTest {
  @steps(0, ['end'], { required: true })
  @catchError({ var: 'end_failure', printException: false })
  step_end() {
    throw new FlakyError('end always fails');
  }

  @steps(1, ['linear'])
  @retry({ times: 2 })
  step_linear() {
    this.attempt = current.retryCount;
    if (current.retryCount < 2) throw new FlakyError(`attempt ${current.retryCount} fails`);
  }

  @steps(2, ['all'])
  step_all() {}

  override async checkResults(flow: FlowResult, checker: Checker) {
    const [end] = await checker.artifacts('end');
    assertEquals({ type: 'FlakyError', message: 'end always fails' }, { type: (end?.end_failure as any)?.type, message: (end?.end_failure as any)?.message }, `${checker.name}: caught in end`);
    for (const step of flow.steps.filter((s) => flow.qualifiers[s]?.includes('linear') && s !== 'end')) {
      await this.assertArtifact(checker, step, 'attempt', 2);
    }
  }
}
