import { current } from '@flowkit/core';
import { assertEquals } from '../assert';
import { FlowTest } from '../flowTest';
import { steps, type Checker } from '../template';

const NUM_FOREACH = 32;
const NUM_LINES = 5000;

/** 32 tasks each printing 5000 lines to stdout and to stderr: every line captured, in order, on its own stream. */
export default class LargeMflogTest extends FlowTest {
  override runArgs = ['--max-num-splits', String(NUM_FOREACH)];

  @steps(0, ['foreach-split-small'], { required: true })
  split() {
    this.arr = Array.from({ length: NUM_FOREACH }, (_, i) => i);
    this.random_log_prefix = Math.random().toString(36).slice(2, 7).replace(/\d/g, 'x');
  }

  @steps(0, ['foreach-inner-small'], { required: true })
  inner() {
    this.log_step = current.stepName;
    for (let i = 0; i < NUM_LINES; i++) {
      const now = new Date().toISOString();
      console.log(`${this.random_log_prefix} ${current.taskId} stdout ${i} ${now}`);
      process.stderr.write(`${this.random_log_prefix} ${current.taskId} stderr ${i} ${now}\n`);
    }
  }

  @steps(0, ['foreach-join-small'], { required: true })
  join(inputs: any) {
    this.log_step = inputs[0].log_step;
    this.random_log_prefix = inputs[0].random_log_prefix;
  }

  @steps(1, ['all'])
  step_all() {}

  override async checkResults(_flow: unknown, checker: Checker) {
    const [end] = await checker.artifacts('end');
    const prefix = end?.random_log_prefix as string;
    for (const stream of ['stdout', 'stderr'] as const) {
      const lines = (await checker.log(end?.log_step as string, stream)).split('\n').filter((l) => l.startsWith(prefix)).map((l) => l.split(' '));
      assertEquals(NUM_FOREACH * NUM_LINES, lines.length, `${checker.name}: ${stream} lines`);
      const byTask = new Map<string, string[][]>();
      for (const line of lines) byTask.set(line[1] as string, [...(byTask.get(line[1] as string) ?? []), line]);
      assertEquals(NUM_FOREACH, byTask.size, `${checker.name}: tasks in ${stream}`);
      for (const [task, taskLines] of byTask) {
        taskLines.forEach((line, i) => {
          if (line[2] !== stream || Number(line[3]) !== i) throw new Error(`${checker.name}: task ${task} ${stream} line ${i} is ${line.join(' ')}`);
        });
      }
    }
  }
}
