import { catchError, current, retry } from '@flowkit/core';
import { assertEquals, assertTrue } from '../assert';
import { FlowTest } from '../flowTest';
import { steps, type Checker, type FlowResult } from '../template';

class TestRetry extends Error {}
class ExternalCommandFailed extends Error {}

/**
 * @retry and @catchError in every position they are allowed: retried splits and joins, a killed task caught
 * after its retries (one fallback attempt), a custom exception caught in end; the latest attempt's artifacts win.
 */
export default class TagCatchTest extends FlowTest {
  @steps(0, ['start'])
  @retry({ times: 3 })
  step_start() {
    this.test_attempt = current.retryCount;
    process.stdout.write(`stdout testing logs ${this.test_attempt}\n`);
    process.stderr.write(`stderr testing logs ${this.test_attempt}\n`);
    if (this.test_attempt < 3) {
      this.invisible = true;
      throw new TestRetry();
    }
  }

  // A foreach split cannot take @catch, but @retry works.
  @steps(0, ['foreach-split'])
  @retry({ times: 2 })
  step_split() {
    if (current.retryCount === 2) this.this_is_split = true;
    else throw new TestRetry();
  }

  @steps(0, ['join'])
  @retry({ times: 2 })
  step_join(inputs: any) {
    if (current.retryCount === 2) this.test_attempt = inputs[0].test_attempt;
    else throw new TestRetry();
  }

  @steps(0, ['end'], { required: true })
  @catchError({ var: 'end_ex', printException: false })
  step_end() {
    assertEquals(3, this.test_attempt);
    this.here = true;
    throw new ExternalCommandFailed('catch me!');
  }

  @steps(1, ['all'])
  @catchError({ var: 'ex', printException: false })
  @retry({ times: 2 })
  step_all() {
    process.kill(process.pid, 'SIGKILL');
  }

  override async checkResults(flow: FlowResult, checker: Checker) {
    assertTrue((await checker.log('start', 'stdout')).includes('stdout testing logs 3\n'), `${checker.name}: start stdout is the last attempt's`);
    assertTrue((await checker.log('start', 'stderr')).includes('stderr testing logs 3\n'), `${checker.name}: start stderr is the last attempt's`);
    const [start] = await checker.artifacts('start');
    assertEquals(3, start?.test_attempt, `${checker.name}: start.test_attempt`);
    assertEquals(false, 'invisible' in (start ?? {}), `${checker.name}: failed attempts' artifacts are not visible`);
    const [end] = await checker.artifacts('end');
    assertEquals({ test_attempt: 3, here: true, type: 'ExternalCommandFailed', message: 'catch me!' }, { test_attempt: end?.test_attempt, here: end?.here, type: (end?.end_ex as any)?.type, message: (end?.end_ex as any)?.message }, `${checker.name}: end`);
    const kind = (step: string) => (step === 'start' || step === 'end' ? step : flow.graph.steps[step]?.foreach ? 'split' : flow.graph.steps[step]?.join ? 'join' : 'all');
    for (const step of flow.steps) {
      if (kind(step) === 'split') await this.assertArtifact(checker, step, 'this_is_split', true);
      if (kind(step) === 'all') {
        for (const task of await checker.artifacts(step)) {
          assertTrue(/killed by SIGKILL/.test((task.ex as any)?.message), `${checker.name}: ${step} caught the killed attempts: ${JSON.stringify(task.ex)}`);
        }
      }
    }
    const run = await checker.run();
    if (!run) return;
    for (const step of await run.steps()) {
      // 1 attempt + 2 retries, and for a caught step one fallback attempt.
      const attempts = { start: 4, end: 1, split: 3, join: 3, all: 4 }[kind(step.id)];
      for (const task of await step.tasks()) assertEquals(Array.from({ length: attempts }, (_, i) => i), (await task.attempts).map((a) => a.attempt), `attempts of ${task.pathspec}`);
    }
    const endTask = await run.step('end').task;
    assertEquals(undefined, await endTask?.exception, 'a caught exception is not the task exception');
  }
}
