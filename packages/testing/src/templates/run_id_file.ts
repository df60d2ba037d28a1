import { readFileSync } from 'node:fs';
import { current } from '@flowkit/core';
import { assertEquals, isResumed, ResumeFromHere } from '../assert';
import { FlowTest } from '../flowTest';
import { steps } from '../template';

/** `--run-id-file` is written before any task runs, by `run` and by `resume` alike. */
export default class RunIdFileTest extends FlowTest {
  override resume = true;

  @steps(0, ['singleton-start'], { required: true })
  step_start() {
    assertEquals(current.runId, readFileSync('run-id', 'utf8'), 'the run id file, read from the first task');
    if (!isResumed()) throw new ResumeFromHere();
  }

  @steps(2, ['all'])
  step_all() {}
}
