import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { flowkit, project, runNode } from '../helpers/flowkit';

const foreachFlow = (items: string) => `
import { FlowSpec, step, Inputs } from '@flowkit/core';
export default class FanFlow extends FlowSpec {
  declare items: any;
  @step start() { this.items = ${items}; this.next(this.body, { foreach: 'items' }); }
  @step body() { this.next(this.join); }
  @step join(inputs: Inputs) { this.next(this.end); }
  @step end() {}
}`;

describe('foreach refusals name the step and the artifact', () => {
  test.each([
    ['42', "The foreach artifact 'items' of step 'start' is number, not an iterable."],
    ['[]', "The foreach artifact 'items' of step 'start' is empty"],
    ['null', "The foreach artifact 'items' of step 'start' is null, not an iterable."],
  ])('items = %s', async (items, message) => {
    const { dir, env } = project({ 'fan.ts': foreachFlow(items) });
    const result = await flowkit(['run', 'fan.ts'], { cwd: dir, env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
  });

  test('more splits than --max-num-splits', async () => {
    const { dir, env } = project({ 'fan.ts': foreachFlow('[1, 2, 3, 4]') });
    const result = await flowkit(['run', 'fan.ts', '--max-num-splits', '3'], { cwd: dir, env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("The foreach artifact 'items' of step 'start' has 4 items, more than --max-num-splits 3.");
    expect(result.stderr).toContain('hint: raise it: flowkit run ... --max-num-splits 4');
    const allowed = await flowkit(['run', 'fan.ts', '--max-num-splits', '4', '--max-workers', '2'], { cwd: dir, env });
    expect(allowed.code).toBe(0);
  });

  test('bad numeric run options are refused by name', async () => {
    const { dir, env } = project({ 'fan.ts': foreachFlow('[1]') });
    const result = await flowkit(['run', 'fan.ts', '--max-workers', '0'], { cwd: dir, env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--max-workers takes a positive whole number, got 0.');
  });
});

describe('failing steps', () => {
  test('an exception fails the run with a non-zero exit and the stack trace pointing at the flow source', async () => {
    const { dir, env } = project({
      'boom.ts': `
import { FlowSpec, step } from '@flowkit/core';
export default class BoomFlow extends FlowSpec {
  @step start() { this.next(this.explode); }
  @step explode() {
    const ratio = 1;
    throw new RangeError('ratio out of range: ' + ratio);
    this.next(this.end);
  }
  @step end() { console.log('never'); }
}`,
    });
    const result = await flowkit(['run', 'boom.ts'], { cwd: dir, env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('RangeError: ratio out of range: 1');
    expect(result.stderr).toMatch(/boom\.ts:7:\d+/);
    expect(result.stderr).toMatch(/Run BoomFlow\/1 failed: step 'explode' \(task 2\) failed/);
    expect(result.stdout).not.toContain('never');
    expect(result.stdout).not.toContain('Done!');
  });

  test('process.exit(3) in user code fails the attempt with that cause', async () => {
    const { dir, root, env } = project({
      'exit.ts': `
import { FlowSpec, step } from '@flowkit/core';
export default class ExitFlow extends FlowSpec {
  @step start() { console.log('leaving'); process.exit(3); this.next(this.end); }
  @step end() {}
}`,
    });
    const result = await flowkit(['run', 'exit.ts'], { cwd: dir, env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Task 1/start/1 exited with code 3.');
    const attempt = JSON.parse(require('node:fs').readFileSync(join(root, 'ExitFlow/1/start/1/_meta/attempt_0.json'), 'utf8'));
    expect(attempt).toMatchObject({ status: 'failed', error: 'Task exited with code 3' });
    expect(require('node:fs').readFileSync(join(root, 'ExitFlow/1/start/1/0.stdout.log'), 'utf8')).toBe('leaving\n');
  });

  test('an unwritable datastore root fails cleanly with a clear error', async () => {
    const { dir, env } = project({ 'ok.ts': foreachFlow('[1]') });
    writeFileSync(join(dir, 'blocker'), 'a file, not a directory');
    const result = await flowkit(['run', 'ok.ts', '--datastore-root', join(dir, 'blocker', 'root')], { cwd: dir, env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('is not writable');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('output options', () => {
  test('--quiet hides FlowKit messages but keeps the task output; --no-color has no escapes', async () => {
    const { dir, env } = project({
      'q.ts': `
import { FlowSpec, step } from '@flowkit/core';
export default class QuietFlow extends FlowSpec {
  @step start() { console.log('user line'); this.next(this.end); }
  @step end() {}
}`,
    });
    const result = await flowkit(['run', 'q.ts', '--quiet', '--no-color'], { cwd: dir, env });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/\[1\/start\/1 \(pid \d+\)\] user line/);
    expect(result.stdout).not.toContain('Task is starting.');
    expect(result.stdout).not.toContain('Workflow starting');
    expect(result.stdout).not.toContain('\u001b[');
    const colored = await flowkit(['run', 'q.ts', '--color'], { cwd: dir, env });
    expect(colored.stdout).toContain('\u001b[');
  });
});

describe('crashes and floods', () => {
  test('a step that segfaults fails its attempt with the signal as cause', async () => {
    const { dir, root, env } = project({
      'segv.ts': `
import { FlowSpec, step } from '@flowkit/core';
export default class SegvFlow extends FlowSpec {
  @step start() { process.kill(process.pid, 'SIGSEGV'); this.next(this.end); }
  @step end() {}
}`,
    });
    const result = await flowkit(['run', 'segv.ts'], { cwd: dir, env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Task 1/start/1 crashed with a segmentation fault (SIGSEGV).');
    const attempt = JSON.parse(require('node:fs').readFileSync(join(root, 'SegvFlow/1/start/1/_meta/attempt_0.json'), 'utf8'));
    expect(attempt.error).toBe('Task crashed with a segmentation fault (SIGSEGV)');
    // The task's own log says so too.
    const logs = await flowkit(['logs', 'segv.ts', '1/start', '--stderr'], { cwd: dir, env });
    expect(logs.stdout).toContain('FlowKit: the task crashed with a segmentation fault (SIGSEGV).');
  });

  test('a step printing 100 MB of logs has all of it captured', async () => {
    const { dir, root, env } = project({
      'flood.ts': `
import { FlowSpec, step } from '@flowkit/core';
export default class FloodFlow extends FlowSpec {
  @step start() {
    const line = 'x'.repeat(99) + '\\n';
    const chunk = line.repeat(10000);
    for (let i = 0; i < 100; i++) process.stdout.write(chunk);
    console.log('last line');
    this.next(this.end);
  }
  @step end() {}
}`,
    });
    const result = await flowkit(['run', 'flood.ts', '--quiet'], { cwd: dir, env });
    expect(result.code).toBe(0);
    const log = require('node:fs').statSync(join(root, 'FloodFlow/1/start/1/0.stdout.log'));
    expect(log.size).toBe(100 * 10000 * 100 + 'last line\n'.length);
    expect(result.stdout).toContain('last line');
  });
});

describe('the task entry', () => {
  test("`step` with a step the flow does not have is refused up front, naming the flow's steps", async () => {
    const { dir, root, env } = project({ 'fan.ts': foreachFlow('[1]') });
    expect((await flowkit(['run', 'fan.ts'], { cwd: dir, env })).code).toBe(0);
    const bundle = join(root, '_code', readdirSync(join(root, '_code')).find((name) => name.endsWith('.js')) as string);
    const backends = ['--datastore', 'local', '--datastore-root', root, '--metadata', 'local', '--local-root', root];
    const result = await runNode(
      [bundle, 'step', 'bodyy', '--run-id', '1', '--task-id', '9', '--attempt', '0', '--user-attempts', '1', '--input-paths', 'start/1', '--max-num-splits', '100', ...backends],
      { cwd: dir, env },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Flow FanFlow has no step 'bodyy'; its steps are start, body, join, end.");
    expect(readdirSync(join(root, 'FanFlow', '1'))).not.toContain('bodyy');
  });
});
