import { current } from '@flowkit/core';
import { assertEquals } from '../assert';
import { FlowTest } from '../flowTest';
import { steps, type Checker, type FlowResult } from '../template';

/** `current` names the running task correctly in every step. */
export default class CurrentSingletonTest extends FlowTest {
  @steps(0, ['all'])
  step_all() {
    this.seen = { flow: current.flowName, run: current.runId, step: current.stepName, task: current.taskId, pathspec: current.pathspec, retry: current.retryCount, user: current.username };
  }

  override async checkResults(flow: FlowResult, checker: Checker) {
    const taskIds = new Set<string>();
    for (const step of flow.steps) {
      for (const task of await checker.artifacts(step)) {
        const seen = task.seen as Record<string, unknown>;
        assertEquals({ flow: flow.flowName, run: flow.runId, step, retry: 0, user: 'conformance' }, { flow: seen.flow, run: seen.run, step: seen.step, retry: seen.retry, user: seen.user }, `${checker.name}: current in ${step}`);
        assertEquals(`${flow.flowName}/${flow.runId}/${step}/${seen.task}`, seen.pathspec);
        taskIds.add(seen.task as string);
      }
    }
    const total = (await Promise.all(flow.steps.map((s) => checker.artifacts(s)))).flat().length;
    assertEquals(total, taskIds.size, `${checker.name}: task ids are unique in the run`);
  }
}
