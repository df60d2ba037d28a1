import { Flow, Metaflow, Run, Step, Task, configureClient, getNamespace, namespace } from '@flowkit/client';
import { flowkit, project } from '../helpers/flowkit';

const FLOWS = {
  'report.ts': `
import { FlowSpec, step, retry, environment, current, Inputs } from '@flowkit/core';
/** Squares numbers, with a flaky step. */
export default class ReportFlow extends FlowSpec {
  declare numbers: number[]; declare square: number; declare squares: number[]; declare flakyAttempt: number;
  @step start() { this.numbers = [3, 1, 2]; console.log('starting'); this.next(this.square_it, { foreach: 'numbers' }); }
  @environment({ vars: { API_TOKEN: 'token-in-an-attribute' } }) @step square_it() { this.square = (this.input as number) ** 2; this.next(this.join); }
  @step join(inputs: Inputs<ReportFlow>) { this.squares = inputs.map((i) => i.square); this.next(this.flaky); }
  @retry({ times: 2 }) @step flaky() {
    this.flakyAttempt = current.retryCount;
    console.error('flaky attempt', current.retryCount);
    if (current.retryCount < 1) throw new TypeError('first attempt fails');
    this.next(this.end);
  }
  @step end() { console.log('done', JSON.stringify(this.squares)); }
}`,
  'broken.ts': `
import { FlowSpec, step } from '@flowkit/core';
export default class BrokenFlow extends FlowSpec {
  declare before: string;
  @step start() { this.before = 'ok'; this.next(this.fail); }
  @step fail() { throw new RangeError('this step always fails'); this.next(this.end); }
  @step end() {}
}`,
  'consumer.ts': `
import { FlowSpec, step } from '@flowkit/core';
import { Flow } from '@flowkit/client';
export default class ConsumerFlow extends FlowSpec {
  declare upstream: number[];
  @step async start() {
    const run = await new Flow('ReportFlow').latestSuccessfulRun();
    this.upstream = (await run.data.squares) as number[];
    this.next(this.end);
  }
  @step end() { console.log('read from another flow', JSON.stringify(this.upstream)); }
}`,
};

describe('@flowkit/client against real runs', () => {
  const { dir, root, env } = project(FLOWS);

  beforeAll(async () => {
    expect((await flowkit(['run', 'report.ts', '--tag', 'ünïcode tag', '--tag', 'with space'], { cwd: dir, env })).code).toBe(0);
    expect((await flowkit(['run', 'broken.ts'], { cwd: dir, env })).code).toBe(1);
    expect((await flowkit(['run', 'report.ts', '--tag', 'second'], { cwd: dir, env: { ...env, FLOWKIT_USER: 'alice' } })).code).toBe(0);
    process.env.FLOWKIT_USER = 'tester';
    configureClient({ datastoreRoot: root, flowDir: dir });
    namespace('user:tester');
  });

  afterEach(() => namespace('user:tester'));

  test('Flow: runs in the namespace, latest runs, tag filters (conjunction)', async () => {
    const flow = new Flow('ReportFlow');
    expect(flow.pathspec).toBe('ReportFlow');
    expect((await flow.runs()).map((r) => r.id)).toEqual(['1']);
    expect((await flow.latestRun()).pathspec).toBe('ReportFlow/1');
    expect((await flow.latestSuccessfulRun()).id).toBe('1');
    expect((await flow.runs({ tags: ['ünïcode tag', 'with space'] })).map((r) => r.id)).toEqual(['1']);
    expect(await flow.runs({ tags: ['ünïcode tag', 'second'] })).toEqual([]);
    const seen: string[] = [];
    for await (const run of flow) seen.push(run.id);
    expect(seen).toEqual(['1']);
    await expect(new Flow('BrokenFlow').latestSuccessfulRun()).rejects.toThrow("BrokenFlow has no successful run in namespace 'user:tester'.");
  });

  test('Run: state, times, tags, data, steps', async () => {
    const run = new Run<{ squares: number[]; numbers: number[] }>('ReportFlow/1');
    expect(await run.successful).toBe(true);
    expect(await run.finished).toBe(true);
    expect((await run.createdAt).getTime()).toBeLessThanOrEqual((await run.finishedAt)!.getTime());
    expect(await run.tags).toEqual(['ünïcode tag', 'with space']);
    expect(await run.systemTags).toEqual(expect.arrayContaining(['user:tester', 'runtime:dev']));
    expect(await run.data.squares).toEqual([9, 1, 4]);
    await expect(run.data.numbers).rejects.toThrow("Run ReportFlow/1 has no artifact 'numbers'."); // the join did not merge it
    expect((await run.steps()).map((s) => s.id)).toEqual(['start', 'square_it', 'join', 'flaky', 'end']);
    expect(run.parent.id).toBe('ReportFlow');
    expect((await run.endTask)?.pathspec).toBe('ReportFlow/1/end/7');
  });

  test('a failed run: not successful, no final data, the failing task shows its exception and stderr', async () => {
    const run = new Run('BrokenFlow/1');
    expect(await run.successful).toBe(false);
    expect(await run.finished).toBe(false);
    await expect(run.data.before).rejects.toThrow('has not finished');
    const task = (await run.step('fail').task) as Task;
    expect(await task.finished).toBe(false);
    expect(await task.exception).toEqual({ type: 'RangeError', message: 'this step always fails' });
    expect(await task.stderr).toContain('RangeError: this step always fails');
    const start = (await run.step('start').task) as Task;
    expect(await start.data.before).toBe('ok');
    expect(await start.exception).toBeUndefined();
  });

  test('Run.graph: every step of the graph the run ran with, those that never ran too; decorators by name only', async () => {
    const graph = (await new Run('ReportFlow/1').graph)!;
    expect(graph.flowName).toBe('ReportFlow');
    expect(graph.doc).toBe('Squares numbers, with a flaky step.');
    expect(graph.order).toEqual(['start', 'square_it', 'join', 'flaky', 'end']);
    expect(graph.steps.start).toMatchObject({ type: 'foreach', next: ['square_it'], foreach: 'numbers', matchingJoin: 'join' });
    expect(graph.steps.square_it).toMatchObject({ type: 'linear', splitParents: ['start'], decorators: ['environment'] });
    expect(graph.steps.flaky).toMatchObject({ type: 'linear', parents: ['join'], decorators: ['retry'] });
    expect(JSON.stringify(graph)).not.toContain('token-in-an-attribute');
    const broken = (await new Run('BrokenFlow/1').graph)!;
    expect(broken.order).toEqual(['start', 'fail', 'end']);
    expect((await new Run('BrokenFlow/1').steps()).map((s) => s.id)).toEqual(['start', 'fail']);
  });

  test('a task with retries: the latest attempt wins', async () => {
    const task = (await new Step('ReportFlow/1/flaky').task) as Task<{ flakyAttempt: number }>;
    expect(await task.currentAttempt).toBe(1);
    expect((await task.attempts).map((a) => a.status)).toEqual(['failed', 'succeeded']);
    expect(await task.data.flakyAttempt).toBe(1);
    expect(await task.stderr).toBe('flaky attempt 1\n');
    expect(await task.log('stderr', 0)).toContain('flaky attempt 0');
    expect(await task.successful).toBe(true);
  });

  test('a foreach: tasks carry their index; artifacts list name, type, size and load lazily', async () => {
    const step = new Step('ReportFlow/1/square_it');
    const tasks: Task[] = [];
    for await (const task of step) tasks.push(task);
    expect(await Promise.all(tasks.map((t) => t.index))).toEqual([0, 1, 2]);
    expect(await Promise.all(tasks.map((t) => t.data.square))).toEqual([9, 1, 4]);
    const artifacts = await tasks[0]!.artifacts();
    expect(artifacts.map((a) => a.id)).toEqual(['numbers', 'square']);
    expect(artifacts[1]).toMatchObject({ type: 'number', pathspec: `${tasks[0]!.pathspec}/square` });
    expect(artifacts[1]!.size).toBeGreaterThan(0);
    expect(await artifacts[1]!.data).toBe(9);
    expect(await (await new Step('ReportFlow/1/start').task)!.stdout).toBe('starting\n');
    expect((await new Task(tasks[0]!.pathspec).parent.parent.successful)).toBe(true);
  });

  test('namespaces: the user namespace by default; another user is invisible until namespace(null)', async () => {
    expect(getNamespace()).toBe('user:tester');
    await expect(new Run('ReportFlow/2').tags).rejects.toThrow("ReportFlow/2 is not in namespace 'user:tester'.");
    namespace('user:alice');
    expect((await new Flow('ReportFlow').runs()).map((r) => r.id)).toEqual(['2']);
    namespace(null);
    expect((await new Flow('ReportFlow').runs()).map((r) => r.id)).toEqual(['2', '1']);
    expect(await new Run('ReportFlow/2').tags).toEqual(['second']);
    expect((await new Metaflow().flows()).map((f) => f.id).sort()).toEqual(['BrokenFlow', 'ReportFlow']);
  });

  test('tags: add and remove user tags; system tags cannot be removed', async () => {
    const run = new Run('ReportFlow/1');
    expect(await run.addTags('extra tag')).toEqual(['ünïcode tag', 'with space', 'extra tag']);
    expect(await new Run('ReportFlow/1').tags).toContain('extra tag');
    await expect(run.removeTags('user:tester')).rejects.toThrow('user:tester is a system tag of ReportFlow/1 and cannot be removed.');
    expect(await run.replaceTags(['extra tag'], ['replaced'])).toEqual(['ünïcode tag', 'with space', 'replaced']);
    await run.removeTags('replaced');
  });

  test('bad pathspecs are refused before any read', () => {
    expect(() => new Run('ReportFlow/../1')).toThrow('Invalid run id ".."');
    expect(() => new Task('ReportFlow/1/start')).toThrow("'ReportFlow/1/start' is not a 4-part pathspec.");
    expect(() => new Flow('Report/Flow')).toThrow('is not a 1-part pathspec');
  });

  test('an object that does not exist is an error naming it, never an empty answer', async () => {
    await expect(new Step('ReportFlow/1/nostep').tasks()).rejects.toThrow("Step ReportFlow/1/nostep does not exist: run 1 has no task of step 'nostep'.");
    await expect(new Step('ReportFlow/1/nostep').task).rejects.toMatchObject({ hint: 'its steps: start, square_it, join, flaky, end' });
    await expect(new Run('ReportFlow/42').steps()).rejects.toThrow('Run ReportFlow/42 does not exist.');
    await expect(new Task('ReportFlow/1/start/999').finished).rejects.toThrow('Task ReportFlow/1/start/999 does not exist.');
    await expect(new Task('ReportFlow/1/start/999').log('stdout', 0)).rejects.toThrow('Task ReportFlow/1/start/999 does not exist.');
    const flaky = (await new Step('ReportFlow/1/flaky').task) as Task;
    await expect(flaky.log('stderr', 5)).rejects.toThrow(`Task ${flaky.pathspec} has no attempt 5.`);
    await expect(flaky.data.nothing).rejects.toThrow(`Task ${flaky.pathspec} has no artifact 'nothing'.`);
  });

  test('a flow reads another flow through the client inside an async step', async () => {
    const result = await flowkit(['run', 'consumer.ts'], { cwd: dir, env });
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('read from another flow [9,1,4]');
  });
});
