import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { flowkit, project, runNode } from '../helpers/flowkit';

/**
 * The orchestrator entry, driven by hand in the order a state machine would run it: `init` records the run
 * under the engine's id, each task gets only its step, attempt and foreach indices, a foreach publishes its
 * split count at a fixed key, and joins find their own inputs. The result must equal a local run's.
 */
const FLOW = `
import { FlowSpec, Parameter, step, type Inputs } from '@flowkit/core';

export default class OrchestratedFlow extends FlowSpec {
  greeting = Parameter('greeting', { default: 'hi' });
  declare items: string[];
  declare letter: string;
  declare side: string;
  declare sides: string;
  declare letters: string[];

  @step start() {
    this.items = ['a', 'b', 'c'];
    this.next(this.body, { foreach: 'items' });
  }
  @step body() {
    this.letter = \`\${this.greeting}-\${this.input}\`;
    this.next(this.left, this.right);
  }
  @step left() {
    this.side = 'L' + this.index;
    this.next(this.meet);
  }
  @step right() {
    this.side = 'R';
    this.next(this.meet);
  }
  @step meet(inputs: Inputs<OrchestratedFlow>) {
    this.sides = inputs.map((input) => input.side).join('');
    this.mergeArtifacts(inputs, { include: ['letter'] });
    this.next(this.join);
  }
  @step join(inputs: Inputs<OrchestratedFlow>) {
    this.letters = inputs.map((input) => input.letter + input.sides);
    this.next(this.end);
  }
  @step end() {
    console.log('letters', this.letters.join(','));
  }
}
`;

describe('orchestrator entry', () => {
  const { dir, root, env } = project({ 'orchestrated_flow.ts': FLOW });
  let bundle: string;

  beforeAll(async () => {
    const local = await flowkit(['run', 'orchestrated_flow.ts', '--greeting', 'hey'], { cwd: dir, env });
    expect(local.code).toBe(0);
    const code = join(root, '_code');
    bundle = join(code, readdirSync(code).find((name) => name.endsWith('.cjs')) as string);
  });

  const backends = () => ['--datastore', 'local', '--datastore-root', root, '--metadata', 'local', '--local-root', root];
  const task = (step: string, indices: number[], extra: string[] = []) =>
    runNode([bundle, 'step', step, '--run-id', 'sfn-7', '--foreach-indices', indices.join(','), '--attempt', '0', '--user-attempts', '1', '--max-num-splits', '100', ...backends(), ...extra], { cwd: dir, env });
  async function succeeds(step: string, indices: number[] = []) {
    const result = await task(step, indices);
    expect({ step, indices, code: result.code, stderr: result.stderr }).toEqual({ step, indices, code: 0, stderr: '' });
    return result;
  }
  async function dump(runId: string, step: string): Promise<Record<string, Record<string, unknown>>> {
    const file = join(dir, `${runId}-${step}.json`);
    const result = await flowkit(['dump', 'OrchestratedFlow', `${runId}/${step}`, '--file', file], { cwd: dir, env });
    expect(result.stderr).toBe('');
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>;
  }

  test('a foreach with a branch inside, run task by task from ids alone, equals the local run', async () => {
    const init = ['init', '--run-id', 'sfn-7', ...backends(), '--parameters', JSON.stringify({ greeting: 'hey' }), '--tags', '["nightly"]', '--runtime', 'step-functions'];
    expect((await runNode([bundle, ...init], { cwd: dir, env })).code).toBe(0);
    // An engine may repeat a state: the run and its parameters are recorded once.
    expect((await runNode([bundle, ...init], { cwd: dir, env })).code).toBe(0);

    await succeeds('start');
    const { splits } = JSON.parse(readFileSync(join(root, 'OrchestratedFlow', 'sfn-7', 'start', 't', 'splits.json'), 'utf8')) as { splits: number };
    expect(splits).toBe(3);
    // The foreach's tasks run at once, in any order, as a Map state would run them.
    await Promise.all(
      [2, 0, 1].map(async (i) => {
        await succeeds('body', [i]);
        await Promise.all([succeeds('right', [i]), succeeds('left', [i])]);
        await succeeds('meet', [i]);
      }),
    );
    await succeeds('join');
    const end = await succeeds('end');
    expect(end.stdout).toContain('letters hey-aL0R,hey-bL1R,hey-cL2R');

    const status = await flowkit(['status', 'OrchestratedFlow'], { cwd: dir, env });
    expect(status.stdout).toMatch(/sfn-7.*succeeded/i);
    const record = JSON.parse(readFileSync(join(root, 'OrchestratedFlow', 'sfn-7', '_meta', 'run.json'), 'utf8')) as { tags: string[]; systemTags: string[] };
    expect(record.tags).toEqual(['nightly']);
    expect(record.systemTags).toEqual(['user:tester', 'runtime:step-functions']);
    const runs = await flowkit(['dump', 'OrchestratedFlow', 'sfn-7/_parameters', '--file', join(dir, 'p.json')], { cwd: dir, env });
    expect(runs.code).toBe(0);
    expect(Object.values(JSON.parse(readFileSync(join(dir, 'p.json'), 'utf8')) as Record<string, unknown>)).toEqual([{ greeting: 'hey' }]);

    for (const step of ['join', 'end']) {
      expect(Object.values(await dump('sfn-7', step))).toEqual(Object.values(await dump('1', step)));
    }
    const meets = await dump('sfn-7', 'meet');
    expect(Object.keys(meets).sort()).toEqual(['OrchestratedFlow/sfn-7/meet/t-0', 'OrchestratedFlow/sfn-7/meet/t-1', 'OrchestratedFlow/sfn-7/meet/t-2']);
    expect(Object.values(meets).map((artifacts) => artifacts.sides).sort()).toEqual(['L0R', 'L1R', 'L2R']);
  });

  test('a task given the wrong number of indices, or a join run before its foreach, fails clearly and records nothing', async () => {
    const wrong = await task('body', []);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain("Step 'body' runs inside 1 foreach split, but its task was given 0 foreach indices.");
    expect(existsSync(join(root, 'OrchestratedFlow', 'sfn-7', 'body', 't'))).toBe(false);

    const init = await runNode([bundle, 'init', '--run-id', 'sfn-early', ...backends()], { cwd: dir, env });
    expect(init.code).toBe(0);
    const early = await runNode([bundle, 'step', 'join', '--run-id', 'sfn-early', '--foreach-indices', '', '--attempt', '0', '--user-attempts', '1', '--max-num-splits', '100', ...backends()], { cwd: dir, env });
    expect(early.code).not.toBe(0);
    expect(early.stderr).toContain('Foreach task sfn-early/start/t has not finished, so its join cannot know its inputs.');
  });

  test('`failed` records a run the engine gave up on as failed, and refuses a run nobody started', async () => {
    expect((await runNode([bundle, 'init', '--run-id', 'sfn-gave-up', ...backends()], { cwd: dir, env })).code).toBe(0);
    const failed = await runNode([bundle, 'failed', '--run-id', 'sfn-gave-up', ...backends()], { cwd: dir, env });
    expect([failed.code, failed.stderr]).toEqual([0, '']);
    const record = JSON.parse(readFileSync(join(root, 'OrchestratedFlow', 'sfn-gave-up', '_meta', 'run.json'), 'utf8')) as { status: string };
    expect(record.status).toBe('failed');
    const unknown = await runNode([bundle, 'failed', '--run-id', 'sfn-never', ...backends()], { cwd: dir, env });
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('Flow OrchestratedFlow has no run sfn-never to record as failed.');
  });

  test('init refuses an unknown parameter, and local records without a local root', async () => {
    const unknown = await runNode([bundle, 'init', '--run-id', 'sfn-bad', ...backends(), '--parameters', '{"greting":"x"}'], { cwd: dir, env });
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain("Flow OrchestratedFlow has no parameter 'greting'.");
    expect(unknown.stderr).toContain('greeting');
    const hostBound = await runNode([bundle, 'init', '--run-id', 'sfn-bad', '--datastore', 'local', '--datastore-root', root, '--metadata', 'local'], { cwd: dir, env });
    expect(hostBound.code).not.toBe(0);
    expect(hostBound.stderr).toContain("The 'local' metadata provider keeps its records on one machine");
    expect(existsSync(join(root, 'OrchestratedFlow', 'sfn-bad'))).toBe(false);
  });
});
