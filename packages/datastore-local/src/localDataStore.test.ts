import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataStoreError, PathspecError, PluginRegistry, loadConfig } from '@flowkit/core/plugin';
import { LocalDataStore, LocalMetadataProvider, plugin } from './index';

const fresh = () => mkdtempSync(join(tmpdir(), 'flowkit-local-'));

describe('LocalDataStore', () => {
  test('put/get/exists/list round-trip; missing keys read as undefined', async () => {
    const store = new LocalDataStore(fresh());
    await store.put('Flow/data/ab/abc', Buffer.from('one'));
    expect((await store.get('Flow/data/ab/abc'))?.toString()).toBe('one');
    expect(store.getSync('Flow/data/ab/abc')?.toString()).toBe('one');
    expect(await store.exists('Flow/data/ab/abc')).toBe(true);
    expect(await store.get('Flow/nothing')).toBeUndefined();
    expect(await store.list('Flow/data')).toEqual(['ab']);
    expect(await store.list('Flow/none')).toEqual([]);
    // Chunks are written in order, as one file.
    const many = Array.from({ length: 3000 }, (_, i) => Buffer.from(`${i},`));
    await store.put('Flow/chunks', many);
    expect(store.getSync('Flow/chunks')?.toString()).toBe(many.join(''));
  });

  test('ifAbsent keeps the first write (content-addressed blobs are written once)', async () => {
    const store = new LocalDataStore(fresh());
    await store.put('k', Buffer.from('first'), { ifAbsent: true });
    await store.put('k', Buffer.from('second'), { ifAbsent: true });
    expect((await store.get('k'))?.toString()).toBe('first');
  });

  test('a reader never sees a partial file while another process rewrites it', async () => {
    const root = fresh();
    const store = new LocalDataStore(root);
    const big = (c: string) => Buffer.alloc(4 * 1024 * 1024, c);
    await store.put('blob', big('a'));
    const writer = spawn(process.execPath, ['-e', `
      const { LocalDataStore } = require(${JSON.stringify(require.resolve('../dist'))});
      const s = new LocalDataStore(${JSON.stringify(root)});
      for (let i = 0; i < 30; i++) s.putSync('blob', Buffer.alloc(4 * 1024 * 1024, i % 2 ? 'a' : 'b'));
    `]);
    const done = new Promise((resolve) => writer.on('exit', resolve));
    let reads = 0;
    let finished = false;
    void done.then(() => (finished = true));
    while (!finished) {
      const data = store.getSync('blob') as Buffer;
      expect(data.length).toBe(4 * 1024 * 1024);
      expect(data[0] === data[data.length - 1]).toBe(true);
      reads++;
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(reads).toBeGreaterThan(0);
    expect(readdirSync(root).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  test.each(['../x', 'a/../../b', '/etc/passwd', 'a\u0000b', 'a//b', 'a\\b', './a', ''])('key %j is refused', async (key) => {
    const store = new LocalDataStore(fresh());
    await expect(store.put(key, Buffer.from('x'))).rejects.toThrow(PathspecError);
    expect(() => store.getSync(key)).toThrow(PathspecError);
  });

  test('a root that cannot be written gives a clear error and leaves nothing behind', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'file'), 'not a directory');
    const store = new LocalDataStore(join(dir, 'file', 'root'));
    const failure = store.put('Flow/data/x', Buffer.from('x'));
    await expect(failure).rejects.toThrow(DataStoreError);
    await expect(failure).rejects.toThrow(/Datastore root .* is not writable/);
  });
});

describe('LocalMetadataProvider', () => {
  test('run ids are distinct across concurrent processes', async () => {
    const root = fresh();
    const script = `
      const { LocalMetadataProvider } = require(${JSON.stringify(require.resolve('../dist'))});
      const m = new LocalMetadataProvider(${JSON.stringify(root)});
      (async () => { const ids = []; for (let i = 0; i < 5; i++) ids.push((await m.newRun('Flow', { user: 'u', tags: [], systemTags: [] })).runId); console.log(ids.join(',')); })();
    `;
    const outputs = await Promise.all(
      Array.from({ length: 4 }, () =>
        new Promise<string>((resolve) => {
          let out = '';
          const child = spawn(process.execPath, ['-e', script]);
          child.stdout.on('data', (c: Buffer) => (out += c.toString()));
          child.on('exit', () => resolve(out.trim()));
        }),
      ),
    );
    const ids = outputs.flatMap((o) => o.split(','));
    expect(ids).toHaveLength(20);
    expect(new Set(ids).size).toBe(20);
    expect(ids.map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  test('a run id given by an orchestrator is recorded once, listed beside numbered runs and never reused', async () => {
    const meta = new LocalMetadataProvider(fresh());
    const given = await meta.newRun('Flow', { runId: 'sfn-3f2a', user: 'ada', tags: ['a'], systemTags: [] });
    expect(await meta.newRun('Flow', { runId: 'sfn-3f2a', user: 'bob', tags: ['b'], systemTags: [] })).toEqual(given);
    const numbered = await meta.newRun('Flow', { user: 'ada', tags: [], systemTags: [] });
    expect(numbered.runId).toBe('1');
    expect((await meta.listRuns('Flow')).map((run) => run.runId).sort()).toEqual(['1', 'sfn-3f2a']);
    await expect(meta.newRun('Flow', { runId: '../up', user: 'ada', tags: [], systemTags: [] })).rejects.toThrow(PathspecError);
  });

  test('tasks, attempts and tags round-trip', async () => {
    const root = fresh();
    const meta = new LocalMetadataProvider(root);
    const run = await meta.newRun('Flow', { user: 'ada', tags: ['x'], systemTags: ['user:ada'] });
    const params = await meta.newTask({ flowName: 'Flow', runId: run.runId, stepName: '_parameters', taskId: '0' });
    const first = await meta.newTask({ flowName: 'Flow', runId: run.runId, stepName: 'start' });
    const second = await meta.newTask({ flowName: 'Flow', runId: run.runId, stepName: 'body' }, { foreachIndices: [2] });
    expect([params.taskId, first.taskId, second.taskId]).toEqual(['0', '1', '2']);
    await meta.startAttempt(first, 0);
    await meta.finishAttempt(first, 0, { status: 'failed', error: 'Error: boom' });
    await meta.startAttempt(first, 1);
    await meta.finishAttempt(first, 1, { status: 'succeeded' });
    expect((await meta.listAttempts(first)).map((a) => [a.attempt, a.status, a.error])).toEqual([[0, 'failed', 'Error: boom'], [1, 'succeeded', undefined]]);
    expect((await meta.getTask(second))?.foreachIndices).toEqual([2]);
    expect(await meta.listSteps('Flow', run.runId)).toEqual(expect.arrayContaining(['_parameters', 'start', 'body']));
    expect((await meta.listTasks('Flow', run.runId, 'start')).map((t) => t.taskId)).toEqual(['1']);
    expect(await meta.updateTags('Flow', run.runId, { add: ['y', 'z ü', 'y', 'user:ada'], remove: ['x'] })).toEqual(['y', 'z ü']);
    expect((await meta.getRun('Flow', run.runId))?.tags).toEqual(['y', 'z ü']);
    // Updates from many processes at once each land: none reads a stale list and overwrites another's change.
    await Promise.all(
      Array.from({ length: 4 }, (_, p) => new Promise((resolve) => spawn(process.execPath, ['-e', `
        const { LocalMetadataProvider } = require(${JSON.stringify(require.resolve('../dist'))});
        const meta = new LocalMetadataProvider(${JSON.stringify(root)});
        (async () => { for (let i = 0; i < 10; i++) await meta.updateTags('Flow', '${run.runId}', { add: ['p${p}-' + i], remove: ['y'] }); })();
      `], { stdio: 'inherit' }).on('exit', resolve))),
    );
    expect((await meta.getRun('Flow', run.runId))?.tags.sort()).toEqual(['z ü', ...Array.from({ length: 40 }, (_, i) => `p${Math.floor(i / 10)}-${i % 10}`)].sort());
    expect(await meta.listFlows()).toEqual(['Flow']);
    await expect(meta.updateTags('Flow', '99', { add: [], remove: [] })).rejects.toThrow('Run Flow/99 does not exist.');
    await expect(meta.getRun('Flow', '../1')).rejects.toThrow(PathspecError);
  });

  test('run and task filters and run status: the same answers the service gives', async () => {
    const metadata = new LocalMetadataProvider(fresh());
    const runs = [];
    for (const [i, tags] of [['a'], ['a', 'b'], []].entries()) runs.push(await metadata.newRun('Filtered', { user: 'u', tags, systemTags: [`user:${i === 2 ? 'x' : 'u'}`] }));
    await metadata.finishRun('Filtered', '2', 'failed');
    expect((await metadata.listRuns('Filtered', { tags: ['a', 'user:u'] })).map((r) => r.runId)).toEqual(['2', '1']);
    expect((await metadata.listRuns('Filtered', { status: 'running' })).map((r) => r.runId)).toEqual(['3', '1']);
    expect(await metadata.getRun('Filtered', '2')).toMatchObject({ status: 'failed', finishedAt: expect.any(Number) });
    expect((await metadata.listRuns('Filtered', { limit: 1 })).map((r) => r.runId)).toEqual(['3']);
    expect(await metadata.listRuns('Filtered', { since: Date.now() + 1000 })).toEqual([]);
    await expect(metadata.finishRun('Filtered', '9', 'succeeded')).rejects.toThrow('Run Filtered/9 does not exist.');
    const tasks = [];
    for (let i = 0; i < 4; i++) tasks.push(await metadata.newTask({ flowName: 'Filtered', runId: '1', stepName: 'body' }));
    for (const [i, task] of tasks.entries()) {
      await metadata.startAttempt(task, 0);
      if (i % 2 === 1) await metadata.finishAttempt(task, 0, { status: 'failed', error: 'x' });
    }
    await metadata.startAttempt(tasks[1]!, 1);
    const failed = await metadata.listTasks('Filtered', '1', 'body', { status: 'failed' });
    expect(failed.map((t) => t.taskId)).toEqual([tasks[3]!.taskId]);
    expect(failed[0]!.attempts?.map((a) => a.status)).toEqual(['failed']);
    expect((await metadata.listTasks('Filtered', '1', 'body', { status: 'running', limit: 2 })).map((t) => t.taskId)).toEqual([tasks[0]!.taskId, tasks[1]!.taskId]);
  });

  test('registers through the public plugin registry', () => {
    const registry = new PluginRegistry().use(plugin);
    const config = loadConfig({});
    expect(registry.dataStore('local').create('/tmp/x', config).root).toBe('/tmp/x');
    expect(registry.dataStore('local').defaultRoot(config, '/work/flows')).toBe('/work/flows/.flowkit');
    expect(registry.metadataProvider('local').create(config, '/tmp/x').name).toBe('local');
  });
});
