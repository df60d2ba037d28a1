import { assertEquals, assertTrue } from '../assert';
import { FlowTest } from '../flowTest';
import { steps, type Checker } from '../template';

class KeyError extends Error {}

/** A step's uncaught exception fails the run and is recorded with its own class and message. */
export default class TaskExceptionTest extends FlowTest {
  override shouldFail = true;

  @steps(0, ['singleton-end'], { required: true })
  step_end() {
    throw new KeyError('Something has gone wrong');
  }

  @steps(2, ['all'])
  step_all() {}

  override async checkResults(_flow: unknown, checker: Checker) {
    assertTrue((await checker.log('end', 'stderr')).includes('KeyError: Something has gone wrong'), `${checker.name}: the exception is in end's stderr`);
    const run = await checker.run();
    if (!run) return;
    const end = await run.step('end').task;
    assertEquals({ type: 'KeyError', message: 'Something has gone wrong' }, await end?.exception);
    assertEquals(false, await run.successful);
  }
}
