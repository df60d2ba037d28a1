import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FLOWKIT_BIN, flowkit, project, runNode } from '../helpers/flowkit';

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

  test('bad numeric options of every command are refused naming what was given and what is expected', async () => {
    const { dir, env } = project({ 'fan.ts': foreachFlow('[1]') });
    expect((await flowkit(['run', 'fan.ts'], { cwd: dir, env })).code).toBe(0);
    for (const [args, message] of [
      [['run', 'fan.ts', '--max-workers', '0'], "--max-workers takes a whole number from 1, got '0'."],
      [['run', 'fan.ts', '--max-workers', 'abc'], "--max-workers takes a whole number from 1, got 'abc'."],
      [['resume', 'fan.ts', '--max-num-splits', '1.5'], "--max-num-splits takes a whole number from 1, got '1.5'."],
      [['logs', 'fan.ts', '1/start/1', '--attempt', 'x'], "--attempt takes an attempt number from 0, got 'x'."],
      [['metadata-service', 'start', '--database-url', 'postgres://h/db', '--port', 'abc'], "--port takes a port number from 0 to 65535, got 'abc'."],
      [['metadata-service', 'start', '--database-url', 'postgres://h/db', '--heartbeat-timeout', '-1'], "--heartbeat-timeout takes a positive number of seconds, got '-1'."],
      [['step-functions', 'create', 'fan.ts', '--only-json', '--max-workers', 'abc'], "--max-workers takes a whole number from 1, got 'abc'."],
      [['step-functions', 'create', 'fan.ts', '--only-json', '--workflow-timeout', '0'], "--workflow-timeout takes a whole number from 1, got '0'."],
    ] as const) {
      const result = await flowkit([...args], { cwd: dir, env });
      expect(result.code).toBe(1);
      expect(result.stderr.split('\n')[0]).toBe(message);
      expect(result.stderr).toMatch(/hint: e\.g\. --[a-z-]+ \d+/);
    }
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

  test('process.exit(0) in a step, or a step awaiting a promise that never settles, fails its attempt with that cause', async () => {
    const { dir, root, env } = project({
      'quit.ts': `
import { FlowSpec, step } from '@flowkit/core';
export default class QuitFlow extends FlowSpec {
  @step start() { process.exit(0); this.next(this.end); }
  @step end() {}
}`,
      'stuck.ts': `
import { FlowSpec, step } from '@flowkit/core';
export default class StuckFlow extends FlowSpec {
  @step async start() { await new Promise(() => undefined); this.next(this.end); }
  @step end() {}
}`,
    });
    const attempt = (flow: string) => JSON.parse(readFileSync(join(root, `${flow}/1/start/1/_meta/attempt_0.json`), 'utf8'));
    const quit = await flowkit(['run', 'quit.ts'], { cwd: dir, env });
    expect(quit.code).toBe(1);
    expect(quit.stderr).toContain('Task 1/start/1 exited with code 0 before its step finished (process.exit() in the step).');
    expect(attempt('QuitFlow')).toMatchObject({ status: 'failed', error: 'Task exited with code 0 before its step finished (process.exit() in the step)' });
    const stuck = await flowkit(['run', 'stuck.ts'], { cwd: dir, env });
    expect(stuck.code).toBe(1);
    expect(stuck.stderr).toContain("Step 'start' awaited a promise that never settles");
    expect(attempt('StuckFlow')).toMatchObject({ status: 'failed', error: expect.stringContaining("Step 'start' awaited a promise that never settles") });
    // Neither run has a task exception to derive a state from: list runs and status show the run's record.
    for (const flow of ['quit.ts', 'stuck.ts']) {
      expect((await flowkit(['list', 'runs', flow], { cwd: dir, env })).stdout).toMatch(/^1 .*failed/m);
      expect((await flowkit(['status', flow], { cwd: dir, env })).stdout).toMatch(/Flow\s+1 .*failed/);
    }
  });

  test('a task whose log cannot be stored is not successful: the run fails, and resume runs the task again', async () => {
    const { dir, root, env } = project({
      'log.ts': `
import { mkdirSync } from 'node:fs';
import { FlowSpec, current, step } from '@flowkit/core';
export default class LogFlow extends FlowSpec {
  declare n: number;
  @step start() {
    console.log('start says hello');
    // In run 1, a directory where this attempt's stdout log goes: storing it fails, as on a full disk.
    if (current.runId === '1') mkdirSync(process.env.FLOWKIT_DATASTORE_SYSROOT_LOCAL + '/LogFlow/1/start/1/0.stdout.log/inside', { recursive: true });
    this.n = 1;
    this.next(this.end);
  }
  @step end() { console.log('n is', this.n); }
}`,
    });
    const failed = await flowkit(['run', 'log.ts'], { cwd: dir, env });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('Task 1/start/1: Task finished, but its logs could not be stored:');
    expect(failed.stdout).not.toContain('n is');
    const attempt = JSON.parse(readFileSync(join(root, 'LogFlow/1/start/1/_meta/attempt_0.json'), 'utf8'));
    expect(attempt).toMatchObject({ status: 'failed', error: expect.stringContaining('Task finished, but its logs could not be stored:') });
    expect((await flowkit(['list', 'runs', 'log.ts'], { cwd: dir, env })).stdout).toMatch(/^1 .*failed/m);
    // Space freed: the blocking directory goes, and no log of that attempt is left.
    rmSync(join(root, 'LogFlow/1/start/1/0.stdout.log'), { recursive: true });
    const resumed = await flowkit(['resume', 'log.ts'], { cwd: dir, env });
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('start says hello');
    expect(resumed.stdout).not.toContain('Cloned the finished task');
    expect((await flowkit(['logs', 'log.ts', '2/start'], { cwd: dir, env })).stdout).toBe('start says hello\n');
  });

  test('an unwritable datastore root fails cleanly with a clear error', async () => {
    const { dir, env } = project({ 'ok.ts': foreachFlow('[1]') });
    writeFileSync(join(dir, 'blocker'), 'a file, not a directory');
    const result = await flowkit(['run', 'ok.ts', '--datastore-root', join(dir, 'blocker', 'root')], { cwd: dir, env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('is not writable');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  test('an unusable local root is one line naming it and the fix, in every command, before anything runs', async () => {
    const { dir, env } = project({ 'ok.ts': foreachFlow('[1]') });
    writeFileSync(join(dir, 'blocker'), 'a file, not a directory');
    // Under /proc, mkdir fails with ENOENT though the parent exists (Node's own recursive mkdir spins there forever).
    const roots = [join(dir, 'blocker', 'root'), '/proc/flowkit-root'];
    // Permissions bind only users other than root (the CI runs as root): then a read-only directory is tried too.
    if (process.getuid?.() !== 0) {
      mkdirSync(join(dir, 'readonly'), { mode: 0o555 });
      roots.push(join(dir, 'readonly', 'root'));
    }
    for (const root of roots) {
      for (const args of [['run', 'ok.ts'], ['list', 'runs', 'ok.ts'], ['dump', 'ok.ts', '1']]) {
        const result = await flowkit(args, { cwd: dir, env: { FLOWKIT_DATASTORE_SYSROOT_LOCAL: root } });
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(new RegExp(`^Local root ${root} is not writable \\((ENOTDIR|EACCES|ENOENT)\\)\\.\n  hint: make it writable, or set FLOWKIT_DATASTORE_SYSROOT_LOCAL to a writable directory\n$`));
        expect(result.stdout).not.toContain('Workflow starting');
      }
    }
    const elsewhere = await flowkit(['run', 'ok.ts', '--datastore-root', '/proc/flowkit-root'], { cwd: dir, env });
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toContain('Datastore root /proc/flowkit-root is not writable (ENOENT');
  });
});

describe('output options', () => {
  const QUIET_FLOW = `
import { FlowSpec, step } from '@flowkit/core';
export default class QuietFlow extends FlowSpec {
  @step start() { console.log('user line'); this.next(this.end); }
  @step end() {}
}`;

  test('--quiet hides FlowKit messages but keeps the task output; --no-color has no escapes', async () => {
    const { dir, env } = project({ 'q.ts': QUIET_FLOW });
    const result = await flowkit(['run', 'q.ts', '--quiet', '--no-color'], { cwd: dir, env });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/\[1\/start\/1 \(pid \d+\)\] user line/);
    expect(result.stdout).not.toContain('Task is starting.');
    expect(result.stdout).not.toContain('Workflow starting');
    expect(result.stdout).not.toContain('\u001b[');
    const colored = await flowkit(['run', 'q.ts', '--color'], { cwd: dir, env });
    expect(colored.stdout).toContain('\u001b[');
  });

  test('every command takes --quiet and --no-color; -h, -v and completion work; NO_COLOR turns colour off on a terminal', async () => {
    const { dir, env } = project({ 'q.ts': QUIET_FLOW });
    for (const args of [['status', '--quiet', '--no-color'], ['list', 'flows', '--no-color'], ['show', 'q.ts', '--quiet']]) {
      expect((await flowkit(args, { cwd: dir, env })).code).toBe(0);
    }
    expect((await flowkit(['-v'], { cwd: dir, env })).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect((await flowkit(['-h'], { cwd: dir, env })).stdout).toContain('Run and inspect FlowKit flows.');
    expect((await flowkit(['completion'], { cwd: dir, env })).stdout).toContain('--get-yargs-completions');
    expect((await flowkit(['--get-yargs-completions', 'flowkit', 'dump', '--na'], { cwd: dir, env })).stdout.split('\n')).toContain('--namespace');
    // `script` gives the run a terminal, where colour is the default unless NO_COLOR is set.
    const onTerminal = (extra: Record<string, string>) =>
      new Promise<string>((resolve, reject) =>
        execFile('script', ['-qec', `${process.execPath} ${FLOWKIT_BIN} run q.ts`, '/dev/null'], { cwd: dir, env: { ...process.env, ...env, ...extra } }, (error, stdout) => (error ? reject(error) : resolve(stdout))),
      );
    // Colour is SGR (`ESC[...m`); the status line's cursor moves and erases are not colour and stay.
    const COLOUR = /\u001b\[[\d;]*m/;
    expect(await onTerminal({})).toMatch(COLOUR);
    expect(await onTerminal({ NO_COLOR: '1' })).not.toMatch(COLOUR);
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
    const bundle = join(root, '_code', readdirSync(join(root, '_code')).find((name) => name.endsWith('.cjs')) as string);
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
