import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { flowkit, flowkitPiped, project } from '../helpers/flowkit';

// Far more than a pipe's 64 KiB buffer on stdout and stderr, and in `dump`, so every command is still writing
// when the reader exits.
const LOUD = `
import { FlowSpec, step } from '@flowkit/core';
export default class LoudFlow extends FlowSpec {
  [key: string]: any;
  @step start() {
    for (let i = 0; i < 2000; i++) console.log('start line', i, 'x'.repeat(100));
    for (let i = 0; i < 300; i++) this['a' + i] = 'v'.repeat(150);
    this.next(this.mid);
  }
  @step mid() { for (let i = 0; i < 2000; i++) console.error('mid line', i); this.next(this.end); }
  @step end() { console.log('the end'); }
}`;

const STACK = /^\s+at /m;

describe('a reader that exits early (`| head`) stops no command: output is dropped, the work goes on', () => {
  const { dir, env } = project({ 'loud.ts': LOUD });
  const piped = (args: string[], reader: string[], stderrToo = false) => flowkitPiped(args, reader, { cwd: dir, env, stderrToo });

  test('run 2>&1 | head -2: the run finishes and is recorded as succeeded', async () => {
    const result = await piped(['run', 'loud.ts'], ['head', '-2'], true);
    expect(result.read.split('\n')).toHaveLength(3);
    expect(result.code).toBe(0);
    const runs = await flowkit(['list', 'runs', 'loud.ts'], { cwd: dir, env });
    expect(runs.stdout).toMatch(/^1\s+tester\s+\S+\s+succeeded/m);
    expect((await flowkit(['logs', 'loud.ts', '1/end'], { cwd: dir, env })).stdout).toBe('the end\n');
  });

  test('run | head -1: stderr still shows the tasks, with no EPIPE', async () => {
    const result = await piped(['run', 'loud.ts'], ['head', '-1']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('mid line 1999');
    expect(result.stderr).not.toContain('EPIPE');
    expect(result.stderr).not.toMatch(STACK);
    expect(JSON.parse(readFileSync(join(dir, '.flowkit', 'LoudFlow', '2', '_meta', 'run.json'), 'utf8')).status).toBe('succeeded');
  });

  test('logs | head -c 10 and dump | head -1 end quietly with exit 0', async () => {
    const logs = await piped(['logs', 'loud.ts', '1'], ['head', '-c', '10']);
    expect(logs).toMatchObject({ code: 0, stderr: '', read: '--- LoudFl' });
    const dump = await piped(['dump', 'loud.ts', '1'], ['head', '-1']);
    expect(dump).toMatchObject({ code: 0, stderr: '', read: 'Task LoudFlow/1/start/1 (attempt 0)\n' });
  });

  test('dump --file | head -1 still writes the whole file', async () => {
    const file = join(dir, 'all.json');
    const dump = await piped(['dump', 'loud.ts', '1', '--file', file], ['head', '-1']);
    expect(dump.code).toBe(0);
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')))).toEqual(['LoudFlow/1/start/1', 'LoudFlow/1/mid/2', 'LoudFlow/1/end/3']);
  });
});
