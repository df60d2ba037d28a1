import { flowkit, project } from '../helpers/flowkit';

const NO_STACK = /^\s+at /m;

const LOST = `
import { FlowSpec, step, Inputs } from '@flowkit/core';
export default class LostFlow extends FlowSpec {
  [key: string]: any;
  @step start() { this.xs = [1, 2]; this.label = 'kept'; this.next(this.body, { foreach: 'xs' }); }
  @step body() { this.y = this.input; this.next(this.join); }
  @step join(inputs: Inputs) {
    this.mergeArtifacts(inputs, { include: ['label'] });
    this.total = inputs.map((i: any) => i.y).reduce((a: number, b: number) => a + b);
    this.next(this.after);
  }
  @step after() { console.log('in', 'xs' in this); this.next(this.end); }
  @step end() { console.log('total', this.total, this.label); console.log('xs', this.xs); }
}`;

const BRANCH = `
import { FlowSpec, step, Inputs } from '@flowkit/core';
export default class BranchFlow extends FlowSpec {
  [key: string]: any;
  @step start() { this.seed = 1; this.next(this.a, this.b); }
  @step a() { this.fromA = 'a'; this.next(this.join); }
  @step b() { this.next(this.join); }
  @step join(inputs: Inputs) { this.seed = 2; this.next(this.end); }
  @step end() { console.log('seed', this.seed); console.log('fromA', this.fromA); }
}`;

describe('an artifact a join did not merge is absent after it, with an error naming it', () => {
  test('after a foreach join, in every later step: the error names the artifact and the join', async () => {
    const { dir, env } = project({ 'lost.ts': LOST });
    const result = await flowkit(['run', 'lost.ts'], { cwd: dir, env });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('in false');
    expect(result.stdout).toContain('total 3 kept');
    expect(result.stdout).not.toContain('xs undefined');
    expect(result.stderr).toContain("Artifact 'xs' does not reach step 'end': join step 'join' did not merge it from its inputs.");
  });

  test('after a branch join; an artifact the join set again reads normally', async () => {
    const { dir, env } = project({ 'branch.ts': BRANCH });
    const result = await flowkit(['run', 'branch.ts'], { cwd: dir, env });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('seed 2');
    expect(result.stderr).toContain("Artifact 'fromA' does not reach step 'end': join step 'join' did not merge it from its inputs.");
  });
});

describe('read commands: a pathspec naming nothing is an error naming it', () => {
  const { dir, env } = project({ 'lost.ts': LOST });
  beforeAll(async () => {
    expect((await flowkit(['run', 'lost.ts'], { cwd: dir, env })).code).toBe(1);
  });

  test.each([
    [['dump', 'LostFlow', '1/nostep'], "Step LostFlow/1/nostep does not exist: run 1 has no task of step 'nostep'."],
    [['logs', 'LostFlow', '1/nostep'], "Step LostFlow/1/nostep does not exist: run 1 has no task of step 'nostep'."],
    [['dump', 'lost.ts', '1/start/999'], 'Task LostFlow/1/start/999 does not exist.'],
    [['logs', 'LostFlow', '1/start/999', '--attempt', '0'], 'Task LostFlow/1/start/999 does not exist.'],
    [['logs', 'LostFlow', '1/start/1', '--attempt', '5'], 'Task LostFlow/1/start/1 has no attempt 5.'],
    [['logs', 'LostFlow', '1/body', '--stderr', '--attempt', '1'], 'has no attempt 1.'],
    [['dump', 'LostFlow', '42'], 'Run LostFlow/42 does not exist.'],
    [['logs', 'LostFlow', '42/start'], 'Run LostFlow/42 does not exist.'],
    [['dump', 'LostFlow', '1/start', '--include', 'xs,nothing'], "No finished task of LostFlow 1/start has artifact 'nothing'."],
    [['tag', 'list', 'LostFlow', '--run-id', '42'], 'Run LostFlow/42 does not exist.'],
  ])('flowkit %j', async (args, message) => {
    const result = await flowkit(args, { cwd: dir, env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toMatch(NO_STACK);
  });
});
