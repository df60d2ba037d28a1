import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { flowkit, project } from '../helpers/flowkit';

describe('inspection commands: dump, logs, tag, status, list', () => {
  const { dir, env } = project({
    'shop.ts': `
import { FlowSpec, step } from '@flowkit/core';
export default class ShopFlow extends FlowSpec {
  declare prices: Map<string, number>; declare total: bigint; declare note: string;
  @step start() { this.prices = new Map([['apple', 1.5], ['pear', 2]]); console.log('priced'); console.error('warned'); this.next(this.end); }
  @step end() { this.total = 35n; this.note = 'x'.repeat(500); }
}`,
  });
  const cli = (...args: string[]) => flowkit(args, { cwd: dir, env });

  beforeAll(async () => {
    expect((await cli('run', 'shop.ts', '--tag', 'nightly')).code).toBe(0);
  });

  test('dump lists every task with artifact types, sizes and truncated values', async () => {
    const result = await cli('dump', 'shop.ts', '1');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Task ShopFlow/1/start/1 (attempt 0)');
    expect(result.stdout).toMatch(/prices\s+Map\s+\d+ B\s+Map\(2\) \{ 'apple' => 1\.5, 'pear' => 2 \}/);
    expect(result.stdout).toMatch(/total\s+bigint\s+\d+ B\s+35n/);
    expect(result.stdout).toMatch(/note\s+string\s+\d+ B\s+'x{100,}\.\.\./);
  });

  test('dump --include and --file write the values as JSON', async () => {
    const file = join(dir, 'out.json');
    const result = await cli('dump', 'ShopFlow', '1/end', '--include', 'total,prices', '--file', file);
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('note');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ 'ShopFlow/1/end/2': { prices: { apple: 1.5, pear: 2 }, total: '35' } });
  });

  test('logs shows stdout or stderr of a step', async () => {
    expect((await cli('logs', 'shop.ts', '1/start')).stdout).toBe('priced\n');
    expect((await cli('logs', 'shop.ts', '1/start/1', '--stderr')).stdout).toBe('warned\n');
    // A whole run: each task's output under its pathspec.
    expect((await cli('logs', 'ShopFlow', '1')).stdout).toBe('--- ShopFlow/1/start/1\npriced\n--- ShopFlow/1/end/2\n');
    const bad = await cli('logs', 'shop.ts', '1/start/1/x');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("'1/start/1/x' is not RUN[/STEP[/TASK]].");
  });

  test('read commands given a flow file take its name from the graph cache, without loading TypeScript', async () => {
    const noTypeScript = { ...env, NODE_OPTIONS: `--require ${join(__dirname, '..', 'fixtures', 'forbid-typescript.js')}` };
    const dump = await flowkit(['dump', 'shop.ts', '1/end', '--include', 'total'], { cwd: dir, env: noTypeScript });
    expect(dump.stderr).toBe('');
    expect(dump.stdout).toMatch(/total\s+bigint/);
    // The guard works: an edited flow is not in the cache, so its name needs the parser.
    const edited = project({ 'shop.ts': readFileSync(join(dir, 'shop.ts'), 'utf8').replace('ShopFlow', 'ShopFlow2') });
    const uncached = await flowkit(['logs', 'shop.ts', '1/start'], { cwd: edited.dir, env: { ...edited.env, NODE_OPTIONS: noTypeScript.NODE_OPTIONS } });
    expect(uncached.stderr).toContain('forbid-typescript');
  });

  test('tag add, remove, list; system tags stay', async () => {
    expect((await cli('tag', 'add', 'shop.ts', '--run-id', '1', 'release candidate', 'ß')).stdout).toContain('"nightly", "release candidate", "ß"');
    expect((await cli('tag', 'remove', 'shop.ts', '--run-id', '1', 'nightly')).stdout).toContain('"release candidate", "ß"');
    const system = await cli('tag', 'remove', 'shop.ts', '--run-id', '1', 'runtime:dev');
    expect(system.code).toBe(1);
    expect(system.stderr).toContain('runtime:dev is a system tag');
    const list = await cli('tag', 'list', 'shop.ts');
    expect(list.stdout).toContain('ShopFlow/1 system tags: user:tester, runtime:dev');
  });

  test('status and list show flows and runs as tables', async () => {
    const status = await cli('status');
    expect(status.stdout).toMatch(/ShopFlow\s+1\s+tester\s+\S+\s+succeeded/);
    const runs = await cli('list', 'runs', 'shop.ts');
    expect(runs.stdout).toMatch(/^RUN\s+USER\s+STARTED\s+STATE\s+TAGS/);
    const other = await cli('list', 'runs', 'ShopFlow', '--namespace', 'user:nobody');
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('ShopFlow has no runs here.');
  });

  test('pathspecs from outside are validated', async () => {
    const result = await cli('dump', 'shop.ts', '1/../../etc');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Invalid step id|is not RUN/);
  });
});
