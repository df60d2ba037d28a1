import { assertTrue } from '../assert';
import { FlowTest } from '../flowTest';
import { steps, type Checker } from '../template';

/** A task that dies of a segmentation fault fails the run; its log keeps what it printed and says why it died. */
export default class DetectSegfaultTest extends FlowTest {
  override shouldFail = true;

  @steps(0, ['singleton-end'], { required: true })
  step_end() {
    console.log('Crash and burn!');
    process.kill(process.pid, 'SIGSEGV');
  }

  @steps(1, ['all'])
  step_all() {}

  override async checkResults(_flow: unknown, checker: Checker) {
    assertTrue((await checker.log('end', 'stdout')).includes('Crash and burn!'), `${checker.name}: output before the crash is kept`);
    assertTrue((await checker.log('end', 'stderr')).includes('segmentation fault'), `${checker.name}: the log says it was a segmentation fault`);
    const run = await checker.run();
    if (!run) return;
    const end = await run.step('end').task;
    assertTrue(/segmentation fault/.test((await end?.exception)?.message ?? ''), 'the task exception names the segmentation fault');
  }
}
