import { current } from '@flowkit/core';
import { assertEquals } from '../assert';
import { FlowTest } from '../flowTest';
import { steps, type Checker } from '../template';

/** Task.parentTasks and Task.childTasks match the task pathspecs the tasks recorded while they ran. */
export default class RuntimeDagTest extends FlowTest {
  @steps(0, ['start'])
  step_start() {
    this.task_pathspec = current.pathspec;
    this.parent_pathspecs = [];
  }

  @steps(1, ['join'])
  step_join(inputs: any) {
    this.parent_pathspecs = inputs.map((i: any) => i.task_pathspec).sort();
    this.task_pathspec = current.pathspec;
  }

  @steps(2, ['all'])
  step_all() {
    this.parent_pathspecs = [this.task_pathspec];
    this.task_pathspec = current.pathspec;
  }

  override async checkResults(_flow: unknown, checker: Checker) {
    const run = await checker.run();
    if (!run) return;
    const children = new Map<string, string[]>();
    const tasks = (await Promise.all((await run.steps()).map((s) => s.tasks()))).flat();
    for (const task of tasks) {
      const parents = (await task.data.parent_pathspecs) as string[];
      assertEquals(task.pathspec, await task.data.task_pathspec);
      assertEquals(parents, (await task.parentTasks).map((t) => t.pathspec).sort(), `parents of ${task.pathspec}`);
      for (const parent of parents) children.set(parent, [...(children.get(parent) ?? []), task.pathspec]);
    }
    for (const task of tasks) {
      assertEquals((children.get(task.pathspec) ?? []).sort(), (await task.childTasks).map((t) => t.pathspec).sort(), `children of ${task.pathspec}`);
    }
  }
}
