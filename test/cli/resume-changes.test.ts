import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { flowkit, project } from '../helpers/flowkit';

/** A flow file whose steps are given as source; `end` fails in the origin version. */
function flowSource(steps: string): string {
  return `
import { FlowSpec, step, Inputs } from '@flowkit/core';
export default class ChangeFlow extends FlowSpec {
  [key: string]: any;
${steps}
}`;
}

/** Runs `origin` (which fails), replaces the flow with `current`, resumes; returns the resume's output and what it ran and cloned. */
async function resumeAfterChange(origin: string, current: string, args: string[] = []) {
  const { dir, env } = project({ 'flow.ts': flowSource(origin) });
  const failed = await flowkit(['run', 'flow.ts'], { cwd: dir, env });
  expect(failed.code).toBe(1);
  writeFileSync(join(dir, 'flow.ts'), flowSource(current));
  const resumed = await flowkit(['resume', 'flow.ts', ...args], { cwd: dir, env });
  const lines = resumed.stdout.split('\n');
  const stepOf = (line: string) => /\[2\/(\w+)\//.exec(line)?.[1];
  return {
    ...resumed,
    dir,
    env,
    started: lines.filter((l) => l.endsWith('Task is starting.')).map(stepOf),
    cloned: lines.filter((l) => l.includes('Cloned the finished task')).map(stepOf),
  };
}

const FAILING_END = `@step end() { throw new Error('boom'); }`;
const END = `@step end() { console.log('value', this.value); }`;

describe('resume follows the current graph', () => {
  test('a renamed step runs under its new name; the old one is not cloned, and the steps are named', async () => {
    const result = await resumeAfterChange(
      `@step start() { this.next(this.mid); }
       @step mid() { this.value = 'old'; this.next(this.end); }
       ${FAILING_END}`,
      `@step start() { this.next(this.middle); }
       @step middle() { this.value = 'new'; this.next(this.end); }
       ${END}`,
    );
    expect(result.code).toBe(0);
    expect(result.started).toEqual(['start', 'middle', 'end']);
    expect(result.cloned).toEqual([]);
    expect(result.stdout).toContain('value new');
    expect(result.stdout).toContain('these steps run again instead of being cloned: start (its place in the graph changed), mid (no longer in the flow).');
    const dump = await flowkit(['dump', 'ChangeFlow', '2/mid'], { cwd: result.dir, env: result.env });
    expect(dump.code).toBe(1);
    expect(dump.stderr).toContain('Step ChangeFlow/2/mid does not exist');
  });

  test('an added step: the step whose transition changed and everything after it run; steps before it are cloned', async () => {
    const result = await resumeAfterChange(
      `@step start() { this.next(this.a); }
       @step a() { this.value = 'a'; this.next(this.end); }
       ${FAILING_END}`,
      `@step start() { this.next(this.a); }
       @step a() { this.value = 'a'; this.next(this.b); }
       @step b() { this.value += '+b'; this.next(this.end); }
       ${END}`,
    );
    expect(result.code).toBe(0);
    expect(result.cloned).toEqual(['start']);
    expect(result.started).toEqual(['a', 'b', 'end']);
    expect(result.stdout).toContain('value a+b');
  });

  test('a removed step: its parent and the steps after it run again', async () => {
    const result = await resumeAfterChange(
      `@step start() { this.next(this.a); }
       @step a() { this.value = 'a'; this.next(this.b); }
       @step b() { this.value += '+b'; this.next(this.end); }
       ${FAILING_END}`,
      `@step start() { this.next(this.a); }
       @step a() { this.value = 'a only'; this.next(this.end); }
       ${END}`,
    );
    expect(result.code).toBe(0);
    expect(result.cloned).toEqual(['start']);
    expect(result.started).toEqual(['a', 'end']);
    expect(result.stdout).toContain('value a only');
    expect(result.stdout).toContain('a (its place in the graph changed), b (no longer in the flow)');
  });

  const FOREACH = (variable: string) => `
       @step start() { this.xs = [1, 2, 3]; this.ys = [10, 20, 30]; this.next(this.body, { foreach: '${variable}' }); }
       @step body() { this.doubled = this.input * 2; this.next(this.join); }
       @step join(inputs: Inputs) { this.value = inputs.map((i: any) => i.doubled).join(','); this.next(this.end); }`;

  test('an unchanged foreach is cloned task by task; a foreach over another artifact runs again', async () => {
    const same = await resumeAfterChange(`${FOREACH('xs')} ${FAILING_END}`, `${FOREACH('xs')} ${END}`);
    expect(same.code).toBe(0);
    expect(same.cloned).toEqual(['start', 'body', 'body', 'body', 'join']);
    expect(same.started).toEqual(['end']);
    expect(same.stdout).toContain('value 2,4,6');

    const changed = await resumeAfterChange(`${FOREACH('xs')} ${FAILING_END}`, `${FOREACH('ys')} ${END}`);
    expect(changed.code).toBe(0);
    expect(changed.cloned).toEqual([]);
    expect(changed.stdout).toContain('value 20,40,60');
  });

  test('a step moved out of a foreach (now its join) runs again, and so does everything after it', async () => {
    const result = await resumeAfterChange(
      `@step start() { this.xs = [1, 2]; this.next(this.body, { foreach: 'xs' }); }
       @step body() { this.item = this.input; this.next(this.tail); }
       @step tail() { this.item = this.item * 10; this.next(this.join); }
       @step join(inputs: Inputs) { this.value = inputs.map((i: any) => i.item).join(','); this.next(this.end); }
       ${FAILING_END}`,
      `@step start() { this.xs = [1, 2]; this.next(this.body, { foreach: 'xs' }); }
       @step body() { this.item = this.input; this.next(this.tail); }
       @step tail(inputs: Inputs) { this.value = inputs.map((i: any) => i.item).join('+'); this.next(this.join); }
       @step join() { this.next(this.end); }
       ${END}`,
    );
    expect(result.code).toBe(0);
    expect(result.cloned).toEqual(['start', 'body', 'body']);
    expect(result.started).toEqual(['tail', 'join', 'end']);
    expect(result.stdout).toContain('value 1+2');
  });

  test('resuming from a step the current flow does not have is refused, naming it and the steps', async () => {
    const result = await resumeAfterChange(`@step start() { this.next(this.mid); } @step mid() { this.next(this.end); } ${FAILING_END}`, `@step start() { this.next(this.end); } ${END}`, ['mid']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Cannot resume from step 'mid': flow ChangeFlow has no such step.");
    expect(result.stderr).toContain('its steps: start, end');
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });
});
