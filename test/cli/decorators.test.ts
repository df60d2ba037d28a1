import { flowkit, project } from '../helpers/flowkit';

const FLOW = `
import { FlowSpec, step, current } from '@flowkit/core';
export default class FlavourFlow extends FlowSpec {
  declare n: number;
  @step start() { this.n = 1; this.next(this.end); }
  @step async end() { await new Promise((r) => setTimeout(r, 10)); console.log('flavour ok', this.n, current.stepName); }
}`;

describe('step decorators under both TypeScript decorator flavours', () => {
  test('standard (TC39) decorators, no tsconfig', async () => {
    const { dir, env } = project({ 'flow.ts': FLOW });
    const result = await flowkit(['run', 'flow.ts'], { cwd: dir, env });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('flavour ok 1 end');
  });

  test('experimentalDecorators from the flow project tsconfig', async () => {
    const { dir, env } = project({
      'flow.ts': FLOW,
      'tsconfig.json': JSON.stringify({ compilerOptions: { experimentalDecorators: true, target: 'ES2022', strict: true } }),
    });
    const result = await flowkit(['run', 'flow.ts'], { cwd: dir, env });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('flavour ok 1 end');
  });
});

describe('show and help', () => {
  test('flowkit --help lists the commands; show prints steps with docs', async () => {
    const help = await flowkit(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['run', 'show', 'check']) expect(help.stdout).toContain(`flowkit ${command}`);
    const { dir, env } = project({ 'flow.ts': FLOW.replace('@step start()', '/** Begins here. */\n  @step start()') });
    const show = await flowkit(['show', 'flow.ts'], { cwd: dir, env });
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('Begins here.');
    const mermaid = await flowkit(['show', 'flow.ts', '--format', 'mermaid'], { cwd: dir, env });
    expect(mermaid.stdout).toContain('flowchart TD');
    const json = JSON.parse((await flowkit(['show', 'flow.ts', '--format', 'json'], { cwd: dir, env })).stdout);
    expect(json.steps.start.next).toEqual(['end']);
  });

  test('an unknown command is refused with a hint', async () => {
    const result = await flowkit(['runn', 'x.ts']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Unknown argument|Did you mean run/);
  });
});
