import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { flowkit, project } from '../helpers/flowkit';

function flowAssigning(target: string): string {
  return `
import { FlowSpec, step } from '@flowkit/core';
export default class ReservedFlow extends FlowSpec {
  @step start() { console.log('before'); ${target} = 5; console.log('stored'); this.next(this.end); }
  @step end() {}
}`;
}

describe('reserved names are refused at run time with the message lint gives', () => {
  const names = ['mergeArtifacts', 'constructor', 'foreachStack', 'next', 'input', 'index'];

  test.each(names)('(this as any).%s = 5 fails the step, naming it', async (name) => {
    const { dir, env } = project({ 'flow.ts': flowAssigning(`(this as any).${name}`) });
    const result = await flowkit(['run', 'flow.ts'], { cwd: dir, env });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('before');
    expect(result.stdout).not.toContain('stored');
    expect(result.stderr).toContain(`Artifact '${name}' clashes with a FlowSpec member or reserved name.`);
    expect(result.stderr).toContain(`rename it, e.g. this.${name}Value`);
    expect(result.stderr).not.toContain('TypeError');
  });

  test('a step name and a name starting with "_" are refused too', async () => {
    const step = project({ 'flow.ts': flowAssigning(`(this as any)['end']`) });
    const stepResult = await flowkit(['run', 'flow.ts'], { cwd: step.dir, env: step.env });
    expect(stepResult.code).toBe(1);
    expect(stepResult.stderr).toContain("Artifact 'end' clashes with a step.");
    const hidden = project({ 'flow.ts': flowAssigning(`(this as any)['_hidden']`) });
    const hiddenResult = await flowkit(['run', 'flow.ts'], { cwd: hidden.dir, env: hidden.env });
    expect(hiddenResult.code).toBe(1);
    expect(hiddenResult.stderr).toContain("Artifact '_hidden' clashes with a FlowSpec member or reserved name.");
  });

  test('lint gives the same message for the assignment it can see', async () => {
    const { dir, env } = project({ 'flow.ts': flowAssigning('(this as any).ok = 1; this.foreachStack') });
    const result = await flowkit(['run', 'flow.ts'], { cwd: dir, env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Artifact 'foreachStack' clashes with a FlowSpec member or reserved name. [reserved-artifact]");
    expect(result.stderr).toContain('hint: rename it, e.g. this.foreachStackValue');
  });
});

describe('flow names starting with "_" are FlowKit\'s own in the datastore (the code cache is _code)', () => {
  test('a flow class named _code is refused before anything is stored, and no command reads _code as a flow', async () => {
    const { dir, root, env } = project({
      'code.ts': `
import { FlowSpec, step } from '@flowkit/core';
export default class _code extends FlowSpec {
  @step start() { this.next(this.end); }
  @step end() {}
}`,
    });
    const run = await flowkit(['run', 'code.ts'], { cwd: dir, env });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`code.ts:3:22: Flow name '_code' starts with "_": such names are FlowKit's own in the datastore (_code holds the code cache). [reserved-flow-name]`);
    expect(run.stderr).toContain("hint: rename the class, e.g. 'CodeFlow'");
    expect(readdirSync(join(root, '_code')).filter((name) => /^\d+$/.test(name))).toEqual([]);
    for (const args of [['list', 'runs', '_code'], ['dump', '_code', '1'], ['logs', '_code', '1']]) {
      const read = await flowkit(args, { cwd: dir, env });
      expect(read.code).toBe(1);
      expect(read.stderr).toContain('Invalid flow id "_code".');
      expect(read.stderr).toContain('starting with a letter');
    }
  });
});
