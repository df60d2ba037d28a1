import { current, Parameter } from '@flowkit/core';
import { assertEquals, isResumed, ResumeFromHere } from '../assert';
import { FlowTest } from '../flowTest';
import { steps, type Checker, type FlowResult } from '../template';

/** In a resumed run, Run, Step and Task know the pathspec they were resumed or cloned from. */
export default class ResumeOriginpathTest extends FlowTest {
  override resume = true;
  int_param = Parameter('int_param', { default: 123 });

  @steps(0, ['start'])
  step_start() {
    this.origin_pathspec = current.pathspec;
    this.data = 'start';
  }

  @steps(0, ['singleton-end'], { required: true })
  step_end() {
    if (!isResumed()) throw new ResumeFromHere();
  }

  @steps(2, ['all'])
  step_all() {}

  override async checkResults(flow: FlowResult, checker: Checker) {
    const run = await checker.run();
    if (!run) return;
    const task = await run.step('start').task;
    const origin = (await task?.data.origin_pathspec) as string;
    assertEquals(`${flow.flowName}/${flow.originRunId}/start/`, origin.replace(/\d+$/, ''), 'start ran in the origin run');
    assertEquals(origin, await task?.originPathspec, 'Task.originPathspec');
    assertEquals(origin.split('/').slice(0, 3).join('/'), await run.step('start').originPathspec, 'Step.originPathspec');
    assertEquals(origin.split('/').slice(0, 2).join('/'), await run.originPathspec, 'Run.originPathspec');
  }
}
