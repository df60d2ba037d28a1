import { assertEquals, isResumed, ResumeFromHere } from '../assert';
import { FlowTest } from '../flowTest';
import { steps, type Checker, type FlowResult } from '../template';
import { foreachCombinations } from './resume_foreach_inner';

/** Resuming from a failed foreach split re-runs it and everything after it with the new data. */
export default class ResumeForeachSplitTest extends FlowTest {
  override resume = true;

  @steps(0, ['start'])
  step_start() {
    this.data = 'start';
    this.after = false;
  }

  @steps(0, ['foreach-nested-split', 'foreach-split'], { required: true })
  step_split() {
    this.after = true;
    if (isResumed()) this.data = 'resume';
    else {
      this.data = 'run';
      throw new ResumeFromHere();
    }
  }

  @steps(0, ['foreach-inner'], { required: true })
  inner() {
    this.stack = this.foreachStack().map((frame: any) => this[frame.var].map(String));
    this.var = [this.foreachStack().map((frame: any) => String(this[frame.var][frame.index])).join('')];
    assertEquals(this.after ? 'resume' : 'start', this.data);
  }

  @steps(0, ['join'], { required: true })
  step_join(inputs: any) {
    const source = inputs.find((i: any) => i.after) ?? inputs[0];
    this.var = [...new Set(inputs.flatMap((i: any) => i.var ?? []))].sort(); // branches inside a foreach carry the same combination
    this.data = source.data;
    this.after = source.after;
    this.stack = source.stack;
    assertEquals(this.after ? 'resume' : 'start', this.data);
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
