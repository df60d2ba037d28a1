import { Run } from '@flowkit/client';
import { current } from '@flowkit/core';
import { assertTrue } from '../assert';
import { FlowTest } from '../flowTest';
import { steps, type Checker } from '../template';

/** Tags change while the run runs (from its own tasks, concurrently) and after it, with Metaflow's rules. */
export default class TagMutationTest extends FlowTest {
  @steps(1, ['all'])
  async step_all() {
    const run = new Run(`${current.flowName}/${current.runId}`);
    for (let i = 0; i < 7; i++) {
      const tag = `${current.stepName}-${current.taskId}-${i}`;
      assertTrue((await run.addTags(tag)).includes(tag), `${tag} added`);
      assertTrue(!(await run.removeTags(tag)).includes(tag), `${tag} removed`);
    }
  }

  override async checkResults(_flow: unknown, checker: Checker) {
    const has = async (tag: string) => (await checker.tags()).includes(tag);
    const assertRejects = async (action: () => Promise<unknown>, what: string) => {
      const failed = await action().then(() => false, () => true);
      assertTrue(failed, `${checker.name}: ${what} is refused`);
    };
    assertTrue((await checker.tags()).length === 0, `${checker.name}: tags added and removed by the tasks are all gone: ${await checker.tags()}`);
    const system = await checker.systemTags();
    assertTrue(system.length > 0, `${checker.name}: the run has system tags`);
    const someSystem = system.slice(0, 1);
    // Adding a tag that is a system tag is allowed, and does not make it a user tag.
    await checker.addTags(['tag_along', ...someSystem]);
    assertTrue(await has('tag_along'), `${checker.name}: tag_along added`);
    assertTrue(!(await has(someSystem[0] as string)), `${checker.name}: a system tag does not become a user tag`);
    // Removing a system tag fails, and then nothing is removed.
    await assertRejects(() => checker.removeTags(['tag_along', ...someSystem]), 'removing a system tag');
    assertTrue(await has('tag_along'), `${checker.name}: nothing removed when one removal is refused`);
    await checker.removeTags(['tag_along']);
    assertTrue(!(await has('tag_along')), `${checker.name}: tag_along removed`);
    // replace removes, then adds.
    await checker.addTags(['AAA', 'BBB']);
    await checker.replaceTags(['AAA', 'BBB'], ['BBB', 'CCC']);
    assertTrue(!(await has('AAA')) && (await has('BBB')) && (await has('CCC')), `${checker.name}: replace: ${await checker.tags()}`);
    await checker.addTags(['FeatEng1', 'FeatEng2', '新想法']);
    await checker.removeTags(['新想法', 'FeatEng1']);
    assertTrue(!(await has('FeatEng1')) && (await has('FeatEng2')) && !(await has('新想法')), `${checker.name}: unicode tags: ${await checker.tags()}`);
    await assertRejects(() => checker.addTags(['']), 'an empty tag');
    await assertRejects(() => checker.addTags(['a'.repeat(600)]), 'a 600-character tag');
    await checker.removeTags(['BBB', 'CCC', 'FeatEng2']);
  }
}
