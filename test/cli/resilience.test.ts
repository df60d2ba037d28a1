import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { blobs, StoredRun } from '../helpers/datastore';
import { flowkit, project, startUntil } from '../helpers/flowkit';

describe('@retry', () => {
  test('a step that fails twice then succeeds ends with 3 attempts; the last one holds the artifacts', async () => {
    const { dir, root, env } = project({
      'flaky.ts': `
import { FlowSpec, step, retry, current } from '@flowkit/core';
export default class FlakyFlow extends FlowSpec {
  declare attemptSeen: number;
  @step start() { this.next(this.flaky); }
  @retry({ times: 3 }) @step flaky() {
    this.attemptSeen = current.retryCount;
    console.log('attempt', current.retryCount);
    if (current.retryCount < 2) throw new Error('flaky failure ' + current.retryCount);
    this.next(this.end);
  }
  @step end() { console.log('end saw attempt', this.attemptSeen); }
}`,
    });
    const result = await flowkit(['run', 'flaky.ts'], { cwd: dir, env });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('end saw attempt 2');
    const run = new StoredRun(root, 'FlakyFlow', '1');
    expect(run.attempts('flaky', '2').map((a) => [a.attempt, a.status])).toEqual([[0, 'failed'], [1, 'failed'], [2, 'succeeded']]);
    expect(run.attempts('flaky', '2')[0]?.error).toBe('Error: flaky failure 0');
    expect(run.doneAttempts('flaky', '2')).toEqual([2]);
  });
});

describe('@catchError', () => {
  test('a foreach body failing for one index: the join sees the caught exception for that index only', async () => {
    const { dir, env } = project({
      'catch.ts': `
import { FlowSpec, step, catchError, retry, Inputs, CaughtException } from '@flowkit/core';
class DivisionError extends Error {}
export default class CatchFlow extends FlowSpec {
  declare divisors: bigint[]; declare quotient: bigint; declare compute_failed?: CaughtException;
  @step start() { this.divisors = [1n, 2n, 0n, 4n]; this.next(this.divide, { foreach: 'divisors' }); }
  @catchError({ var: 'compute_failed' }) @retry({ times: 1 }) @step divide() {
    const d = this.input as bigint;
    if (d === 0n) throw new DivisionError('cannot divide 12 by zero');
    this.quotient = 12n / d;
    this.next(this.join);
  }
  @step join(inputs: Inputs<CatchFlow>) {
    for (const input of inputs) console.log('index', input.index, 'failed', input.compute_failed ? input.compute_failed.type + ': ' + input.compute_failed.message : 'no', 'quotient', String(input.quotient));
    this.next(this.end);
  }
  @step end() {}
}`,
    });
    const result = await flowkit(['run', 'catch.ts'], { cwd: dir, env });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('index 0 failed no quotient 12');
    expect(result.stdout).toContain('index 2 failed DivisionError: cannot divide 12 by zero quotient undefined');
    expect(result.stdout).toContain('index 3 failed no quotient 3');
    expect(result.stderr).toContain('@catch caught DivisionError: cannot divide 12 by zero');
  });

  test('a task killed on every attempt is caught by the fallback attempt', async () => {
    const { dir, root, env } = project({
      'killed.ts': `
import { FlowSpec, step, catchError, CaughtException } from '@flowkit/core';
export default class KilledFlow extends FlowSpec {
  declare failure?: CaughtException;
  @step start() { this.next(this.doomed); }
  @catchError({ var: 'failure' }) @step doomed() { process.kill(process.pid, 'SIGKILL'); this.next(this.end); }
  @step end() { console.log('caught:', this.failure?.message); }
}`,
    });
    const result = await flowkit(['run', 'killed.ts'], { cwd: dir, env });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('caught: Task kept failing over 1 attempt; the last one: Task was killed by SIGKILL (out of memory, or killed by hand).');
    expect(new StoredRun(root, 'KilledFlow', '1').attempts('doomed', '2').map((a) => a.status)).toEqual(['failed', 'succeeded']);
  });
});

describe('@timeout', () => {
  const flow = (decorators: string) => `
import { FlowSpec, step, timeout, retry } from '@flowkit/core';
export default class SlowFlow extends FlowSpec {
  @step start() { this.next(this.slow); }
  ${decorators} @step async slow() { await new Promise((r) => setTimeout(r, 60000)); this.next(this.end); }
  @step end() {}
}`;

  test('a step sleeping 60 s with a 2 s timeout fails long before, as a timed-out attempt', async () => {
    const { dir, root, env } = project({ 'slow.ts': flow('@timeout({ seconds: 2 })') });
    const started = Date.now();
    const result = await flowkit(['run', 'slow.ts'], { cwd: dir, env });
    expect(result.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(30000);
    expect(result.stderr).toContain('Task 1/slow/2 timed out after 2 s.');
    expect(new StoredRun(root, 'SlowFlow', '1').attempts('slow', '2')).toEqual([expect.objectContaining({ status: 'failed', error: 'Task timed out after 2 s' })]);
  });

  test('with @retry({ times: 1 }) it makes two attempts; --with adds a timeout at run time', async () => {
    const { dir, root, env } = project({ 'slow.ts': flow('@retry({ times: 1 })') });
    const result = await flowkit(['run', 'slow.ts', '--with', 'timeout:seconds=1'], { cwd: dir, env });
    expect(result.code).toBe(1);
    expect(new StoredRun(root, 'SlowFlow', '1').attempts('slow', '2').map((a) => a.error)).toEqual(['Task timed out after 1 s', 'Task timed out after 1 s']);
  });
});

describe('--with and decorator attributes', () => {
  const { dir, env } = project({
    'env.ts': `
import { FlowSpec, step, environment, globalEnvironment } from '@flowkit/core';
@globalEnvironment({ vars: { MODE: 'global', SHARED: 'flow' } })
export default class EnvFlow extends FlowSpec {
  @environment({ vars: { MODE: 'step' } }) @step start() { console.log('start', process.env.MODE, process.env.SHARED, process.env.EXTRA); this.next(this.end); }
  @step end() { console.log('end', process.env.MODE, process.env.SHARED, process.env.EXTRA); }
}`,
  });

  test('step environment overrides the flow one; --with environment fills steps without one', async () => {
    const result = await flowkit(['run', 'env.ts', '--with', 'environment:vars={"EXTRA":"x","MODE":"cli"}'], { cwd: dir, env });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('start step flow undefined');
    expect(result.stdout).toContain('end cli flow x');
  });

  test.each([
    [['--with', 'timeout:seconds=abc'], '@timeout: seconds="abc" is not valid; seconds takes a number of seconds ≥ 0.'],
    [['--with', 'nosuch'], "Unknown step decorator 'nosuch'"],
    [['--with', 'retry:tries=2'], "@retry has no attribute 'tries'."],
    [['--with', 'retry:times=99'], '@retry: times=99 is not valid'],
  ])('%j is refused by name', async (args, message) => {
    const result = await flowkit(['run', 'env.ts', ...args], { cwd: dir, env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
    expect(result.stdout).not.toContain('Workflow starting');
  });
});

const CHAIN = `
import { FlowSpec, step, Inputs } from '@flowkit/core';
import { existsSync } from 'node:fs';
export default class ChainFlow extends FlowSpec {
  declare items: number[]; declare doubled: number; declare total: number; declare label: string;
  @step start() { this.items = Array.from({ length: 16 }, (_, i) => i); this.label = 'chain'; this.next(this.double, { foreach: 'items' }); }
  @step async double() {
    await new Promise((r) => setTimeout(r, Number(process.env.CHAIN_DELAY_MS ?? 0)));
    this.doubled = (this.input as number) * 2;
    this.next(this.gather);
  }
  @step gather(inputs: Inputs<ChainFlow>) {
    this.total = inputs.reduce((sum, i) => sum + i.doubled, 0);
    this.mergeArtifacts(inputs, { include: ['label', 'items'] });
    if (!existsSync('fixed')) throw new Error('gather is broken until ./fixed exists');
    this.next(this.end);
  }
  @step end() { console.log('total', this.total, this.label); }
}`;

describe('resume', () => {
  test('a failing step, fixed, then resumed: only it and its descendants run; artifacts equal a clean run', async () => {
    const { dir, root, env } = project({ 'chain.ts': CHAIN });
    const failed = await flowkit(['run', 'chain.ts'], { cwd: dir, env });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('flowkit resume');
    writeFileSync(join(dir, 'fixed'), '');
    const resumed = await flowkit(['resume', 'chain.ts'], { cwd: dir, env });
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain("Resuming run 1 from step 'gather'");
    expect(resumed.stdout).toContain('total 240 chain');
    const started = resumed.stdout.split('\n').filter((l) => l.endsWith('Task is starting.')).map((l) => /\[2\/(\w+)\//.exec(l)?.[1]);
    expect(started).toEqual(['gather', 'end']);
    expect(resumed.stdout.split('\n').filter((l) => l.includes('Cloned the finished task'))).toHaveLength(17);
    const clean = await flowkit(['run', 'chain.ts'], { cwd: dir, env });
    expect(clean.code).toBe(0);
    const steps = ['start', 'double', 'gather', 'end'];
    expect(new StoredRun(root, 'ChainFlow', '2').fingerprint(steps)).toEqual(new StoredRun(root, 'ChainFlow', '3').fingerprint(steps));
  });

  test('resume from a named step re-runs that step and after; current.originRunId is set', async () => {
    const { dir, env } = project({ 'chain.ts': CHAIN.replace("console.log('total'", "console.log('origin', current.originRunId, 'total'").replace("import { FlowSpec, step, Inputs }", 'import { FlowSpec, step, Inputs, current }'), fixed: '' });
    expect((await flowkit(['run', 'chain.ts'], { cwd: dir, env })).code).toBe(0);
    const resumed = await flowkit(['resume', 'chain.ts', 'end', '--origin-run-id', '1'], { cwd: dir, env });
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('origin 1 total 240 chain');
    expect(resumed.stdout.split('\n').filter((l) => l.endsWith('Task is starting.'))).toHaveLength(1);
  });

  test('bad resume targets are refused clearly', async () => {
    const { dir, env } = project({ 'chain.ts': CHAIN });
    const none = await flowkit(['resume', 'chain.ts'], { cwd: dir, env });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('ChainFlow has no run by user tester to resume.');
    const traversal = await flowkit(['resume', 'chain.ts', '--origin-run-id', '../1'], { cwd: dir, env });
    expect(traversal.code).toBe(1);
    expect(traversal.stderr).toContain('Invalid run id "../1"');
    const unknown = await flowkit(['resume', 'chain.ts', '--origin-run-id', '42'], { cwd: dir, env });
    expect(unknown.stderr).toContain('Run ChainFlow/42 does not exist');
  });

  test('after the scheduler is SIGKILLed mid-run, resume finishes it: same artifacts as a clean run, no blob twice', async () => {
    const { dir, root, env } = project({ 'chain.ts': CHAIN, fixed: '' });
    const slow = { ...env, CHAIN_DELAY_MS: '400' };
    const run = startUntil(['run', 'chain.ts', '--max-workers', '2'], { cwd: dir, env: slow }, /(Task finished successfully\.[\s\S]*){5}/);
    await run.reached;
    run.child.kill('SIGKILL');
    await run.exited;
    const origin = new StoredRun(root, 'ChainFlow', '1');
    expect(origin.tasks('end')).toEqual([]);
    const resumed = await flowkit(['resume', 'chain.ts'], { cwd: dir, env });
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('total 240 chain');
    expect(resumed.stdout).toContain('Cloned the finished task 1/start/1.');
    const clean = await flowkit(['run', 'chain.ts'], { cwd: dir, env });
    const steps = ['start', 'double', 'gather', 'end'];
    expect(new StoredRun(root, 'ChainFlow', '2').fingerprint(steps)).toEqual(new StoredRun(root, 'ChainFlow', '3').fingerprint(steps));
    expect(clean.code).toBe(0);
    const stored = blobs(root, 'ChainFlow');
    expect(stored.filter((b) => b.endsWith('.tmp'))).toEqual([]);
    expect(new Set(stored.map((b) => b.split('/').pop())).size).toBe(stored.length);
  });

  test('a crash between writing the artifacts and the DONE marker is never read; resume re-runs that task', async () => {
    const { dir, root, env } = project({ 'chain.ts': CHAIN, fixed: '' });
    const crashed = await flowkit(['run', 'chain.ts'], { cwd: dir, env: { ...env, FLOWKIT_FAULT_INJECTION: 'crash-before-done:gather' } });
    expect(crashed.code).toBe(1);
    expect(crashed.stderr).toContain('killed by SIGKILL');
    const origin = new StoredRun(root, 'ChainFlow', '1');
    const [gatherTask] = origin.tasks('gather');
    expect(origin.doneAttempts('gather', gatherTask as string)).toEqual([]);
    const resumed = await flowkit(['resume', 'chain.ts'], { cwd: dir, env });
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain("from step 'gather'");
    expect(resumed.stdout).toContain('total 240 chain');
  });

  test('Ctrl-C stops the tasks, exits 130, and the run resumes', async () => {
    const { dir, env } = project({ 'chain.ts': CHAIN, fixed: '' });
    const run = startUntil(['run', 'chain.ts', '--max-workers', '2'], { cwd: dir, env: { ...env, CHAIN_DELAY_MS: '30000' } }, /\/double\/\d+ \(pid \d+\)\] Task is starting\./);
    await run.reached;
    const interrupted = Date.now();
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(130);
    expect(Date.now() - interrupted).toBeLessThan(15000);
    expect(run.output()).toContain('Interrupted: stopping the tasks');
    expect(run.output()).toMatch(/Run ChainFlow\/1 stopped\. To go on from where it stopped: flowkit resume \S*chain\.ts --origin-run-id 1\n/);
    const resumed = await flowkit(['resume', 'chain.ts'], { cwd: dir, env });
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('total 240 chain');
  });
});
