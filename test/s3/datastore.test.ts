import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Run, configureClient, namespace } from '@flowkit/client';
import { flowkit, project, startUntil } from '../helpers/flowkit';
import { S3TestServer } from '../helpers/s3server';

const FLOW = `
import { FlowSpec, step, Inputs } from '@flowkit/core';
export default class CloudFlow extends FlowSpec {
  declare items: string[]; declare table: Map<string, number>; declare big: Float64Array;
  declare shout: string; declare shouts: string[]; declare total: number;
  @step start() {
    this.items = ['a', 'b', 'c'];
    this.table = new Map([['x', 1], ['y', 2]]);
    this.big = new Float64Array(9 * 1024 * 1024).fill(0.5);
    console.log('start wrote', this.items.length, 'items');
    this.next(this.shout_it, { foreach: 'items' });
  }
  @step shout_it() { this.shout = (this.input as string).toUpperCase() + this.table.get('y'); this.next(this.join); }
  @step join(inputs: Inputs<CloudFlow>) {
    this.shouts = inputs.map((i) => i.shout);
    this.mergeArtifacts(inputs, { exclude: ['shout'] });
    this.next(this.end);
  }
  @step end() {
    this.total = this.big.reduce((a, b) => a + b, 0);
    console.log('end', this.shouts.join(','), this.total);
  }
}`;

const SLOW = `
import { FlowSpec, step } from '@flowkit/core';
export default class SlowFlow extends FlowSpec {
  declare payload: number[]; declare seen: number;
  @step start() { this.payload = [1, 2, 3]; this.next(this.wait); }
  @step async wait() {
    console.log('waiting for the outage');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    this.seen = this.payload.length;
    this.next(this.end);
  }
  @step end() { console.log('seen', this.seen); }
}`;

const FLAKY = `
import { FlowSpec, step } from '@flowkit/core';
export default class FlakyS3Flow extends FlowSpec {
  declare first: string; declare second: string;
  @step start() { this.first = 'kept'; this.next(this.middle); }
  @step middle() {
    if (process.env.FAIL_MIDDLE === '1') throw new Error('middle fails on purpose');
    this.second = this.first + ' and resumed';
    this.next(this.end);
  }
  @step end() { console.log(this.second); }
}`;

let server: S3TestServer;
beforeAll(async () => {
  server = await S3TestServer.start(['flowkit']);
});
afterAll(async () => {
  await server.close();
});

describe('flows on S3 (s3rver)', () => {
  test('a foreach flow runs with --datastore s3; dump, logs and the client read it; blobs are stored once, in S3 only', async () => {
    const { dir, root, env } = project({ 'cloud.ts': FLOW });
    // No local cache in the tasks: every artifact read goes to S3, through the synchronous-read worker.
    const s3env = { ...env, ...server.env('s3://flowkit/flows'), FLOWKIT_S3_CACHE_BYTES: '0' };
    const first = await flowkit(['run', 'cloud.ts', '--datastore', 's3'], { cwd: dir, env: s3env });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`end A2,B2,C2 ${9 * 1024 * 1024 * 0.5}`);

    const keys = await server.keys('flows/CloudFlow/');
    expect(keys).toEqual(expect.arrayContaining(['flows/CloudFlow/1/end/6/0.DONE', 'flows/CloudFlow/1/start/1/0.stdout.log']));
    const blobsAfterFirst = keys.filter((k) => k.includes('/data/'));
    expect(existsSync(join(root, 'CloudFlow', 'data'))).toBe(false);

    const second = await flowkit(['run', 'cloud.ts', '--datastore', 's3'], { cwd: dir, env: s3env });
    expect(second.code).toBe(0);
    const blobsAfterSecond = (await server.keys('flows/CloudFlow/')).filter((k) => k.includes('/data/'));
    expect(blobsAfterSecond.sort()).toEqual(blobsAfterFirst.sort());

    const dump = await flowkit(['dump', 'CloudFlow', '1/join', '--datastore', 's3', '--file', join(dir, 'dump.json')], { cwd: dir, env: s3env });
    expect(dump.code).toBe(0);
    const dumped = JSON.parse(readFileSync(join(dir, 'dump.json'), 'utf8')) as Record<string, Record<string, unknown>>;
    expect(Object.values(dumped)[0]?.shouts).toEqual(['A2', 'B2', 'C2']);
    const logs = await flowkit(['logs', 'CloudFlow', '1/start', '--datastore', 's3'], { cwd: dir, env: s3env });
    expect(logs.stdout).toContain('start wrote 3 items');

    Object.assign(process.env, s3env);
    configureClient({ datastore: 's3', flowDir: dir });
    namespace(null);
    const run = new Run('CloudFlow/1');
    expect(await run.successful).toBe(true);
    expect(await run.data.table).toEqual(new Map([['x', 1], ['y', 2]]));
    expect(((await run.data.big) as Float64Array).length).toBe(9 * 1024 * 1024);
  }, 180000);

  test('a missing bucket is a clear error before any task starts', async () => {
    const { dir, root, env } = project({ 'cloud.ts': FLOW });
    const result = await flowkit(['run', 'cloud.ts', '--datastore', 's3', '--datastore-root', 's3://no-such-bucket/runs'], { cwd: dir, env: { ...env, ...server.env() } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("S3 bucket 'no-such-bucket' does not exist (datastore root s3://no-such-bucket/runs).");
    expect(result.stderr).toContain('hint: create the bucket');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).not.toContain('Task is starting');
    expect(existsSync(join(root, 'CloudFlow', '1'))).toBe(false);
  });

  test('the endpoint stopped for 3 s mid-run: retries carry the run through', async () => {
    const { dir, env } = project({ 'slow.ts': SLOW });
    const s3env = { ...env, ...server.env('s3://flowkit/outage') };
    const running = startUntil(['run', 'slow.ts', '--datastore', 's3'], { cwd: dir, env: s3env }, /waiting for the outage/);
    await running.reached;
    const stopped = Date.now();
    await server.stop();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await server.restart();
    expect(await running.exited).toBe(0);
    expect(running.output()).toContain('seen 3');
    // The step wrote its artifacts 1.5 s into the outage: the run could only finish after the endpoint came back.
    expect(Date.now() - stopped).toBeGreaterThan(3000);
    expect(running.output()).not.toContain('attempt 1');
  }, 120000);

  test('503 SlowDown answers are retried', async () => {
    const { dir, env } = project({ 'slow.ts': SLOW });
    const before = (await server.requests()).length;
    await server.throttle(6);
    // A short backoff base: the retries are what is tested, not the waiting.
    const result = await flowkit(['run', 'slow.ts', '--datastore', 's3'], { cwd: dir, env: { ...env, ...server.env('s3://flowkit/throttled'), FLOWKIT_S3_RETRY_BASE_MS: '5' } });
    expect(result.code).toBe(0);
    expect((await server.requests()).slice(before).filter((r) => r.status === 503)).toHaveLength(6);
  }, 60000);

  test('resume on S3 clones the finished steps and reruns the failed one', async () => {
    const { dir, env } = project({ 'flaky.ts': FLAKY });
    const s3env = { ...env, ...server.env('s3://flowkit/resume') };
    const failed = await flowkit(['run', 'flaky.ts', '--datastore', 's3'], { cwd: dir, env: { ...s3env, FAIL_MIDDLE: '1' } });
    expect(failed.code).toBe(1);
    const resumed = await flowkit(['resume', 'flaky.ts', '--datastore', 's3'], { cwd: dir, env: s3env });
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('kept and resumed');
    expect(await server.keys('resume/FlakyS3Flow/2/start/')).toEqual(expect.arrayContaining(['resume/FlakyS3Flow/2/start/1/0.DONE']));
  }, 60000);
});
