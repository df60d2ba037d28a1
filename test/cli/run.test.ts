import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { flowkit, listFiles, project } from '../helpers/flowkit';

const LINE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \[(\d+)\/(\w+)\/(\d+) \(pid \d+\)\] (.*)$/;

/** The lines each task printed, by step name, in order. */
function taskLines(stdout: string): Record<string, string[]> {
  const byStep: Record<string, string[]> = {};
  for (const line of stdout.split('\n')) {
    const match = LINE.exec(line);
    if (match) (byStep[match[2] as string] ??= []).push(match[4] as string);
  }
  return byStep;
}

describe('flowkit run', () => {
  test('hello world: three linear steps, Metaflow-style output, artifacts persisted', async () => {
    const { dir, root, env } = project({
      'hello.ts': `
import { FlowSpec, step, current } from '@flowkit/core';
export default class HelloFlow extends FlowSpec {
  declare greeting: string;
  @step start() { this.greeting = 'hi'; console.log('starting', current.runId); this.next(this.hello); }
  @step hello() { console.log(this.greeting + ' there'); this.greeting = this.greeting.toUpperCase(); this.next(this.end); }
  @step end() { console.log('done with', this.greeting, current.stepName, current.flowName); }
}`,
    });
    const result = await flowkit(['run', 'hello.ts'], { cwd: dir, env });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^FlowKit \S+ executing HelloFlow for user:tester$/m);
    expect(result.stdout).toMatch(/^Workflow starting \(run-id 1\):$/m);
    expect(result.stdout.trim().split('\n').pop()).toBe('Done!');
    const lines = taskLines(result.stdout);
    expect(lines.start).toEqual(['Task is starting.', 'starting 1', 'Task finished successfully.']);
    expect(lines.hello).toEqual(['Task is starting.', 'hi there', 'Task finished successfully.']);
    expect(lines.end).toEqual(['Task is starting.', 'done with HI end HelloFlow', 'Task finished successfully.']);
    const files = listFiles(join(root, 'HelloFlow'));
    expect(files).toContain('1/end/3/0.DONE');
    expect(files).toContain('1/hello/2/0.stdout.log');
    expect(readFileSync(join(root, 'HelloFlow/1/hello/2/0.stdout.log'), 'utf8')).toBe('hi there\n');
    const index = JSON.parse(readFileSync(join(root, 'HelloFlow/1/end/3/0.data.json'), 'utf8'));
    expect(index.artifacts.greeting).toMatchObject({ type: 'string', serializer: 'v8' });
  });

  test('a branch and join merges identical artifacts and reads branches by name', async () => {
    const { dir, env } = project({
      'branch.ts': `
import { FlowSpec, step, Inputs } from '@flowkit/core';
export class BranchFlow extends FlowSpec {
  declare base: number; declare a: number; declare b: number; declare total: number;
  @step start() { this.base = 10; this.next(this.left, this.right); }
  @step left() { this.a = this.base + 1; this.next(this.join); }
  @step right() { this.b = this.base + 2; this.next(this.join); }
  @step join(inputs: Inputs<BranchFlow>) {
    this.mergeArtifacts(inputs);
    this.total = inputs.left.a + inputs.right.b;
    console.log('total', this.total, 'base', this.base, 'a', this.a, 'b', this.b, 'inputs', inputs.length);
    this.next(this.end);
  }
  @step end() { console.log('end', this.total); }
}`,
    });
    const result = await flowkit(['run', 'branch.ts'], { cwd: dir, env });
    expect(result.code).toBe(0);
    const lines = taskLines(result.stdout);
    expect(lines.join).toContain('total 23 base 10 a 11 b 12 inputs 2');
    expect(lines.end).toContain('end 23');
  });

  test('a foreach of 10 with a join sees every index and input in order', async () => {
    const { dir, env } = project({
      'foreach.ts': `
import { FlowSpec, step, Inputs } from '@flowkit/core';
export default class ForeachFlow extends FlowSpec {
  declare items: number[]; declare squared: number; declare results: number[];
  @step start() { this.items = [0,1,2,3,4,5,6,7,8,9]; this.next(this.square, { foreach: 'items' }); }
  @step square() { this.squared = (this.input as number) ** 2; console.log('index', this.index, 'input', this.input); this.next(this.check); }
  @step check() { console.log('still', this.index, this.input, JSON.stringify(this.foreachStack().map(f => [f.step, f.var, f.index, f.numSplits]))); this.next(this.join); }
  @step join(inputs: Inputs) {
    this.results = inputs.map((i: any) => i.squared);
    console.log('results', JSON.stringify(this.results), 'indices', JSON.stringify(inputs.map((i: any) => i.index)));
    this.next(this.end);
  }
  @step end() { console.log('stack after join', JSON.stringify(this.foreachStack()), this.index); }
}`,
    });
    const result = await flowkit(['run', 'foreach.ts'], { cwd: dir, env });
    expect(result.code).toBe(0);
    const lines = taskLines(result.stdout);
    expect(lines.square?.filter((l) => l.startsWith('index')).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `index ${i} input ${i}`).sort(),
    );
    expect(lines.check?.filter((l) => l.startsWith('still'))).toHaveLength(10);
    expect(lines.check).toContain('still 3 3 [["start","items",3,10]]');
    expect(lines.join).toContain('results [0,1,4,9,16,25,36,49,64,81] indices [0,1,2,3,4,5,6,7,8,9]');
    expect(lines.end).toContain('stack after join [] undefined');
  });

  test('a nested foreach (2 x 3) keeps both levels of the stack', async () => {
    const { dir, env } = project({
      'nested.ts': `
import { FlowSpec, step, Inputs } from '@flowkit/core';
export default class NestedFlow extends FlowSpec {
  declare outer: string[]; declare inner: number[]; declare cell: string; declare row: string[]; declare grid: string[][];
  @step start() { this.outer = ['a', 'b']; this.next(this.split, { foreach: 'outer' }); }
  @step split() { this.inner = [1, 2, 3]; this.next(this.body, { foreach: 'inner' }); }
  @step body() { this.cell = this.foreachStack().map(f => f.index).join('.') + '=' + this.foreachStack().length; this.next(this.innerJoin); }
  @step innerJoin(inputs: Inputs) { this.row = inputs.map((i: any) => i.cell); console.log('row', this.index, this.input, this.row.join(' ')); this.next(this.outerJoin); }
  @step outerJoin(inputs: Inputs) { this.grid = inputs.map((i: any) => i.row); this.next(this.end); }
  @step end() { console.log('grid', JSON.stringify(this.grid)); }
}`,
    });
    const result = await flowkit(['run', 'nested.ts'], { cwd: dir, env });
    expect(result.code).toBe(0);
    const lines = taskLines(result.stdout);
    expect(lines.innerJoin?.filter((l) => l.startsWith('row')).sort()).toEqual(['row 0 a 0.0=2 0.1=2 0.2=2', 'row 1 b 1.0=2 1.1=2 1.2=2']);
    expect(lines.end).toContain('grid [["0.0=2","0.1=2","0.2=2"],["1.0=2","1.1=2","1.2=2"]]');
  });

  const joinReadingUpstream = (merge: boolean) => `
import { FlowSpec, step, Inputs } from '@flowkit/core';
export default class ModelFlow extends FlowSpec {
  declare config: { lr: number }; declare alphas: number[]; declare score: number; declare best: number;
  @step start() { this.config = { lr: 0.1 }; this.alphas = [1, 2, 3]; this.next(this.train, { foreach: 'alphas' }); }
  @step train() { this.score = (this.input as number) * this.config.lr; this.next(this.pick); }
  @step pick(inputs: Inputs<ModelFlow>) {
    ${merge ? 'this.mergeArtifacts(inputs, { exclude: ["score"] });' : ''}
    this.best = Math.max(...inputs.map((i) => i.score));
    console.log('best', this.best, 'with lr', this.config.lr);
    this.next(this.end);
  }
  @step end() { console.log('end', this.config.lr, this.best); }
}`;

  test('a foreach join reading an artifact set before the split fails until it merges (the Metaflow bug report)', async () => {
    const { dir, env } = project({ 'broken.ts': joinReadingUpstream(false), 'fixed.ts': joinReadingUpstream(true) });
    const broken = await flowkit(['run', 'broken.ts'], { cwd: dir, env });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain("Artifact 'config' is not set in join step 'pick': its 3 inputs carry it.");
    expect(broken.stderr).toContain('call this.mergeArtifacts(inputs)');
    expect(broken.stderr).toMatch(/Run ModelFlow\/1 failed: step 'pick' \(task \d+\) failed/);
    const fixed = await flowkit(['run', 'fixed.ts'], { cwd: dir, env });
    expect(fixed.code).toBe(0);
    expect(taskLines(fixed.stdout).end).toContain('end 0.1 0.30000000000000004');
  });

  test('mergeArtifacts reports every conflicting artifact with the steps it came from, and merges nothing', async () => {
    const { dir, env } = project({
      'conflict.ts': `
import { FlowSpec, step, Inputs } from '@flowkit/core';
export default class ConflictFlow extends FlowSpec {
  declare x: number; declare y: number; declare same: string;
  @step start() { this.same = 's'; this.next(this.a, this.b); }
  @step a() { this.x = 1; this.y = 1; this.next(this.join); }
  @step b() { this.x = 2; this.y = 2; this.next(this.join); }
  @step join(inputs: Inputs<ConflictFlow>) {
    try { this.mergeArtifacts(inputs); } catch (e) { console.log((e as Error).message); console.log('same after failed merge:', Object.keys(this).includes('same')); }
    this.x = 0;
    this.mergeArtifacts(inputs, { include: ['same'] });
    try { this.mergeArtifacts(inputs, { include: ['nope'] }); } catch (e) { console.log((e as Error).message); }
    this.next(this.end);
  }
  @step end() { console.log('end', this.x, this.same); try { console.log(this.y); } catch (e) { console.log((e as Error).message); } }
}`,
    });
    const result = await flowkit(['run', 'conflict.ts'], { cwd: dir, env });
    expect(result.code).toBe(0);
    const lines = taskLines(result.stdout);
    expect(lines.join?.some((l) => /cannot merge artifacts 'x' \(differs across a\/\d+, b\/\d+\); 'y' \(differs across a\/\d+, b\/\d+\)/.test(l))).toBe(true);
    expect(lines.join).toContain('same after failed merge: false');
    expect(lines.join).toContain("mergeArtifacts(): no input carries 'nope'.");
    expect(lines.end).toContain('end 0 s');
    expect(lines.end).toContain("Artifact 'y' does not reach step 'end': join step 'join' did not merge it from its inputs.");
  });

  test('two runs of one flow at once on one datastore both succeed and share blobs', async () => {
    const { dir, root, env } = project({
      'shared.ts': `
import { FlowSpec, step } from '@flowkit/core';
export default class SharedFlow extends FlowSpec {
  declare big: number[];
  @step start() { this.big = Array.from({ length: 50000 }, (_, i) => i); this.next(this.end); }
  @step end() { console.log(this.big.length); }
}`,
    });
    const [first, second] = await Promise.all([flowkit(['run', 'shared.ts'], { cwd: dir, env }), flowkit(['run', 'shared.ts'], { cwd: dir, env })]);
    expect(first.code).toBe(0);
    expect(second.code).toBe(0);
    const runIds = [first, second].map((r) => /run-id (\d+)/.exec(r.stdout)?.[1]).sort();
    expect(runIds).toEqual(['1', '2']);
    const index = (run: string, step: string, task: string) => JSON.parse(readFileSync(join(root, `SharedFlow/${run}/${step}/${task}/0.data.json`), 'utf8'));
    const sha = index('1', 'start', '1').artifacts.big.sha;
    expect(index('2', 'start', '1').artifacts.big.sha).toBe(sha);
    const blobs = listFiles(join(root, 'SharedFlow/data'));
    expect(blobs.filter((b) => b.endsWith(sha))).toHaveLength(1);
    expect(new Set(blobs).size).toBe(blobs.length);
  });

  test('tasks share a compiled code cache beside the bundle; a corrupt one is replaced, never trusted', async () => {
    const { dir, root, env } = project({
      'cached.ts': `
import { FlowSpec, step } from '@flowkit/core';
export default class CachedFlow extends FlowSpec {
  @step start() { this.next(this.end); }
  @step end() { console.log('ran from the bundle'); }
}`,
    });
    expect((await flowkit(['run', 'cached.ts'], { cwd: dir, env })).code).toBe(0);
    const code = join(root, '_code');
    const caches = listFiles(code).filter((file) => file.endsWith('.cjs.cache'));
    expect(caches).toHaveLength(1);
    const cache = join(code, caches[0] as string);
    expect(readFileSync(cache).length).toBeGreaterThan(10000);
    writeFileSync(cache, 'not a V8 code cache');
    const again = await flowkit(['run', 'cached.ts'], { cwd: dir, env });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('ran from the bundle');
    expect(readFileSync(cache).length).toBeGreaterThan(10000);
  });

  test('an unchanged flow reuses its bundle; editing a module the flow imports rebuilds it', async () => {
    const { dir, root, env } = project({
      'greeting.ts': `export const greeting = 'first';`,
      'imports.ts': `
import { FlowSpec, step } from '@flowkit/core';
import { greeting } from './greeting';
export default class ImportsFlow extends FlowSpec {
  @step start() { this.next(this.end); }
  @step end() { console.log('greeting:', greeting); }
}`,
    });
    const first = await flowkit(['run', 'imports.ts'], { cwd: dir, env });
    expect(first.stdout).toContain('greeting: first');
    expect((await flowkit(['run', 'imports.ts'], { cwd: dir, env })).stdout).toContain('greeting: first');
    const bundles = () => listFiles(join(root, '_code')).filter((file) => file.endsWith('.cjs'));
    expect(bundles()).toHaveLength(1);
    writeFileSync(join(dir, 'greeting.ts'), `export const greeting = 'second';`);
    const edited = await flowkit(['run', 'imports.ts'], { cwd: dir, env });
    expect(edited.code).toBe(0);
    expect(edited.stdout).toContain('greeting: second');
    expect(bundles()).toHaveLength(2);
  });
});
