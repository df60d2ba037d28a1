import { assertEquals, isResumed, ResumeFromHere } from '../assert';
import { FlowTest } from '../flowTest';
import { steps, type Checker, type FlowResult } from '../template';
import { foreachCombinations } from './resume_foreach_inner';

/** Resuming from a failed join clones the foreach tasks before it and re-runs the join and what follows. */
export default class ResumeForeachJoinTest extends FlowTest {
  override resume = true;

  @steps(0, ['start'])
  step_start() {
    this.data = 'start';
    this.after = false;
  }

  @steps(0, ['foreach-nested-split', 'foreach-split'])
  step_split() {
    assertEquals(this.after ? 'resume' : 'start', this.data);
  }

  @steps(0, ['foreach-inner'], { required: true })
  inner() {
    this.stack = this.foreachStack().map((frame: any) => this[frame.var].map(String));
    this.var = [this.foreachStack().map((frame: any) => String(this[frame.var][frame.index])).join('')];
  }

  @steps(0, ['join'], { required: true })
  step_join(inputs: any) {
    this.after = true;
    if (isResumed()) this.data = 'resume';
    else {
      this.data = 'run';
      throw new ResumeFromHere();
    }
    this.var = [...new Set(inputs.flatMap((i: any) => i.var ?? []))].sort(); // branches inside a foreach carry the same combination
    this.stack = (inputs.find((i: any) => i.stack) ?? inputs[0]).stack;
  }

  @steps(2, ['all'])
  step_all() {
    assertEquals(this.after ? 'resume' : 'start', this.data);
  }

  override async checkResults(_flow: FlowResult, checker: Checker) {
    await this.assertArtifact(checker, 'start', 'data', 'start');
    await this.assertArtifact(checker, 'end', 'data', 'resume');
    const [end] = await checker.artifacts('end');
    await this.assertArtifact(checker, 'end', 'var', foreachCombinations(end?.stack as string[][]));
  }
}
