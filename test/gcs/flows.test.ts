import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Run, configureClient, namespace } from '@flowkit/client';
import { flowkit, project, startUntil } from '../helpers/flowkit';
import { blobsWrittenTwice, gcsServerForThisFile, fingerprint, gcsEnv } from './gcsServer';

const FLOW = `
import { FlowSpec, step, Inputs } from '@flowkit/core';
export default class ShelfFlow extends FlowSpec {
  declare shelves: string[]; declare stock: Map<string, Set<number>>; declare weights: Float64Array;
  declare label: string; declare labels: string[]; declare heaviest: number; declare checked: Date;
  @step start() {
    this.shelves = ['north', 'south', 'east'];
    this.stock = new Map([['north', new Set([1, 2])], ['south', new Set([3])]]);
    this.weights = new Float64Array(9 * 1024 * 1024).map((_, i) => i % 7);
    this.checked = new Date(0);
    console.log('start stocked', this.shelves.length, 'shelves');
    this.next(this.label_shelf, { foreach: 'shelves' });
  }
  @step label_shelf() {
    const shelf = this.input as string;
    this.label = shelf + ':' + (this.stock.get(shelf)?.size ?? 0);
    this.next(this.collect);
  }
  @step collect(inputs: Inputs<ShelfFlow>) {
    this.labels = inputs.map((i) => i.label);
    this.mergeArtifacts(inputs, { exclude: ['label'] });
    this.next(this.end);
  }
  @step end() {
    this.heaviest = this.weights.reduce((a, b) => Math.max(a, b), 0);
    console.log('end', this.labels.join(','), this.heaviest, this.checked.getTime());
  }
}`;

/** Fans out, each branch slow enough to be caught mid-run; gather fails until FIXED is set. */
const CHAIN = `
import { FlowSpec, step, Inputs } from '@flowkit/core';
export default class ChainFlow extends FlowSpec {
  declare items: number[]; declare doubled: number; declare total: number;
  @step start() { this.items = [1, 2, 3, 4, 5, 6]; this.next(this.double, { foreach: 'items' }); }
  @step async double() {
    await new Promise((resolve) => setTimeout(resolve, Number(process.env.CHAIN_DELAY_MS ?? 0)));
    this.doubled = (this.input as number) * 2;
    this.next(this.gather);
  }
  @step gather(inputs: Inputs<ChainFlow>) {
    if (process.env.FIXED !== '1') throw new Error('gather fails on purpose');
    this.total = inputs.reduce((sum, i) => sum + i.doubled, 0);
    this.next(this.end);
  }
  @step end() { console.log('total', this.total); }
}`;

const server = gcsServerForThisFile(['flowkit']);

describe('flows on GCS (GCS test server)', () => {
  test('a foreach flow runs with --datastore gcs; dump, logs and the client read it; blobs are stored once, in GCS only', async () => {
    const { dir, root, env } = project({ 'shelf.ts': FLOW });
    // No local cache in the tasks: every artifact read goes to GCS, through the synchronous-read worker.
    const gcs = { ...env, ...gcsEnv(server(), 'gs://flowkit/flows'), FLOWKIT_GCS_CACHE_BYTES: '0' };
    const first = await flowkit(['run', 'shelf.ts', '--datastore', 'gcs'], { cwd: dir, env: gcs });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('end north:2,south:1,east:0 6 0');
    expect(server().keys('flowkit', 'flows/ShelfFlow/')).toEqual(expect.arrayContaining(['flows/ShelfFlow/1/end/6/0.DONE', 'flows/ShelfFlow/1/start/1/0.stdout.log']));
    const blobsAfterFirst = server().keys('flowkit', 'flows/ShelfFlow/data/');
    expect(existsSync(join(root, 'ShelfFlow', 'data'))).toBe(false);

    const second = await flowkit(['run', 'shelf.ts', '--datastore', 'gcs'], { cwd: dir, env: gcs });
    expect(second.code).toBe(0);
    expect(server().keys('flowkit', 'flows/ShelfFlow/data/')).toEqual(blobsAfterFirst);
    expect(blobsWrittenTwice(server(), 'flows')).toEqual([]);

    const dump = await flowkit(['dump', 'ShelfFlow', '1/collect', '--datastore', 'gcs', '--include', 'labels,stock', '--file', join(dir, 'dump.json')], { cwd: dir, env: gcs });
    expect(dump.code).toBe(0);
    const dumped = JSON.parse(readFileSync(join(dir, 'dump.json'), 'utf8')) as Record<string, Record<string, unknown>>;
    expect(Object.values(dumped)[0]?.labels).toEqual(['north:2', 'south:1', 'east:0']);
    const logs = await flowkit(['logs', 'ShelfFlow', '1/start', '--datastore', 'gcs'], { cwd: dir, env: gcs });
    expect(logs.stdout).toContain('start stocked 3 shelves');

    Object.assign(process.env, gcs);
    configureClient({ datastore: 'gcs', flowDir: dir });
    namespace(null);
    const run = new Run('ShelfFlow/1');
    expect(await run.successful).toBe(true);
    expect(await run.data.stock).toEqual(new Map([['north', new Set([1, 2])], ['south', new Set([3])]]));
    expect(await run.data.checked).toEqual(new Date(0));
    expect(((await run.data.weights) as Float64Array)[13]).toBe(6);
  }, 180000);

  test('after the scheduler is SIGKILLed mid-run, resume finishes it: same artifacts as a clean run, no blob written twice', async () => {
    const { dir, env } = project({ 'chain.ts': CHAIN });
    const gcs = { ...env, ...gcsEnv(server(), 'gs://flowkit/killed'), FIXED: '1' };
    const run = startUntil(['run', 'chain.ts', '--datastore', 'gcs', '--max-workers', '2'], { cwd: dir, env: { ...gcs, CHAIN_DELAY_MS: '1500' } }, /(Task finished successfully\.[\s\S]*){3}/);
    await run.reached;
    run.child.kill('SIGKILL');
    await run.exited;
    expect(server().keys('flowkit', 'killed/ChainFlow/1/end/')).toEqual([]);
    const resumed = await flowkit(['resume', 'chain.ts', '--datastore', 'gcs'], { cwd: dir, env: gcs });
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('total 42');
    expect(resumed.stdout).toContain('Cloned the finished task 1/start/1.');
    const clean = await flowkit(['run', 'chain.ts', '--datastore', 'gcs'], { cwd: dir, env: gcs });
    expect(clean.code).toBe(0);
    expect(fingerprint(server(), 'killed', 'ChainFlow', '2')).toEqual(fingerprint(server(), 'killed', 'ChainFlow', '3'));
    expect(blobsWrittenTwice(server(), 'killed')).toEqual([]);
  }, 180000);

  test('a failed run resumes on GCS: finished steps cloned, the failed one rerun', async () => {
    const { dir, env } = project({ 'chain.ts': CHAIN });
    const gcs = { ...env, ...gcsEnv(server(), 'gs://flowkit/resume') };
    const failed = await flowkit(['run', 'chain.ts', '--datastore', 'gcs'], { cwd: dir, env: gcs });
    expect(failed.code).toBe(1);
    const resumed = await flowkit(['resume', 'chain.ts', '--datastore', 'gcs'], { cwd: dir, env: { ...gcs, FIXED: '1' } });
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain("Resuming run 1 from step 'gather'");
    expect(resumed.stdout).toContain('total 42');
    expect(server().keys('flowkit', 'resume/ChainFlow/2/start/')).toEqual(expect.arrayContaining(['resume/ChainFlow/2/start/1/0.DONE']));
  }, 120000);

  test('two runs of one flow at once both succeed; the blobs they share are stored once', async () => {
    const { dir, env } = project({ 'chain.ts': CHAIN });
    const gcs = { ...env, ...gcsEnv(server(), 'gs://flowkit/concurrent'), FIXED: '1' };
    const [a, b] = await Promise.all([1, 2].map(() => flowkit(['run', 'chain.ts', '--datastore', 'gcs', '--max-workers', '3'], { cwd: dir, env: gcs })));
    expect([a?.code, b?.code]).toEqual([0, 0]);
    expect([a?.stdout, b?.stdout].every((out) => out?.includes('total 42'))).toBe(true);
    expect(fingerprint(server(), 'concurrent', 'ChainFlow', '1')).toEqual(fingerprint(server(), 'concurrent', 'ChainFlow', '2'));
    expect(blobsWrittenTwice(server(), 'concurrent')).toEqual([]);
  }, 120000);

  test('429 answers and the endpoint down for 3 s mid-run: the client retries carry the run through', async () => {
    const { dir, env } = project({ 'chain.ts': CHAIN });
    // Short waits need more retries to outlast 3 s (at the default multiplier, 5 retries wait about 30 s).
    const gcs = { ...env, ...gcsEnv(server(), 'gs://flowkit/outage'), FIXED: '1', FLOWKIT_GCS_MAX_RETRIES: '20' };
    const before = server().requests().length;
    server().failNext(3, 429);
    const running = startUntil(['run', 'chain.ts', '--datastore', 'gcs', '--max-workers', '6'], { cwd: dir, env: { ...gcs, CHAIN_DELAY_MS: '1000' } }, /double\/\d+ \(pid \d+\)\] Task is starting\./);
    await running.reached;
    await server().down();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await server().up();
    expect(await running.exited).toBe(0);
    expect(running.output()).toContain('total 42');
    expect(running.output()).not.toContain('attempt 1');
    expect(server().requests().slice(before).filter((r) => r.status === 429)).toHaveLength(3);
  }, 120000);
});
