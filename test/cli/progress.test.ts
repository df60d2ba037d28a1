import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { FLOWKIT_BIN, flowkit, project } from '../helpers/flowkit';

const exec = promisify(execFile);

/** 200 tasks in a foreach, then a join slow enough for the finished foreach to stay on screen. */
const FLOW = `
import { FlowSpec, step, type Inputs } from '@flowkit/core';
export default class WideFlow extends FlowSpec {
  declare items: number[];
  @step start() { this.items = Array.from({ length: 200 }, (_, i) => i); this.next(this.body, { foreach: 'items' }); }
  @step body() { this.next(this.join); }
  @step async join(_inputs: Inputs<WideFlow>) { await new Promise((resolve) => setTimeout(resolve, 1500)); this.next(this.end); }
  @step end() {}
}`;

const STATUS = /^Running \d+:\d\d · /;

describe('the status line', () => {
  test('on a terminal (tmux) it counts a 200-way foreach up to 200 and leaves a clean screen; piped there is no control code', async () => {
    const { dir, env } = project({ 'wide.ts': FLOW });
    // A tmux server of its own, without the user's configuration.
    const tmux = (...args: string[]) => exec('tmux', ['-L', `flowkit-progress-${process.pid}`, '-f', '/dev/null', ...args]);
    const vars = Object.entries({ ...env, FLOWKIT_USER: 'tester', PATH: process.env.PATH ?? '' }).flatMap(([name, value]) => ['-e', `${name}=${value}`]);
    await tmux('new-session', '-d', '-s', 'run', '-x', '200', '-y', '50', '-c', dir, ...vars, process.execPath, FLOWKIT_BIN, 'run', 'wide.ts', '--max-workers', '8', '--max-num-splits', '200');
    try {
      await tmux('set-option', '-t', 'run', 'remain-on-exit', 'on');
      const seen: string[] = [];
      for (let dead = false; !dead; ) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const screen = (await tmux('capture-pane', '-p', '-t', 'run')).stdout;
        seen.push(...screen.split('\n').filter((line) => STATUS.test(line)));
        dead = (await tmux('display-message', '-p', '-t', 'run', '#{pane_dead}')).stdout.trim() === '1';
      }
      // The foreach while it runs, then (the join running) the run's total: start and the 200 tasks done.
      expect(seen.some((line) => /· body \d+\/200 done, \d+ running/.test(line))).toBe(true);
      expect(seen.some((line) => /· join 0\/1 done, 1 running · tasks 201\/202 done$/.test(line))).toBe(true);
      const final = (await tmux('capture-pane', '-p', '-t', 'run', '-S', '-')).stdout.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('Pane is dead'));
      expect(final.filter((line) => STATUS.test(line) || line.includes('Running 0:'))).toEqual([]);
      expect(final[final.length - 1]).toBe('Done!');
    } finally {
      await tmux('kill-server').catch(() => undefined);
    }

    const piped = await flowkit(['run', 'wide.ts', '--max-workers', '8', '--max-num-splits', '200'], { cwd: dir, env });
    expect([piped.code, piped.stdout]).toEqual([0, expect.stringContaining('Done!')]);
    expect(piped.stdout + piped.stderr).not.toContain('\u001b');
  });
});
