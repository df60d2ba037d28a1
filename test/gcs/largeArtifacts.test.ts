import { readFileSync } from 'node:fs';
import { project, startUntil } from '../helpers/flowkit';
import { gcsServerForThisFile, gcsEnv } from './gcsServer';

/** One large random (incompressible) artifact, written by start and read back whole by end. */
const FLOW = `
import { createHash, randomBytes } from 'node:crypto';
import { FlowSpec, Parameter, step } from '@flowkit/core';
export default class LargeFlow extends FlowSpec {
  mb = Parameter('mb', { default: 1 });
  declare blob: Buffer; declare digest: string;
  @step start() {
    this.blob = randomBytes(this.mb * 1024 * 1024);
    this.digest = createHash('sha256').update(this.blob).digest('hex');
    this.next(this.end);
  }
  @step end() {
    const same = createHash('sha256').update(this.blob).digest('hex') === this.digest;
    console.log('read back', this.blob.length, same ? 'intact' : 'CORRUPT', 'peak MB', Math.round(process.resourceUsage().maxRSS / 1024));
  }
}`;

const MB = 1024;

const server = gcsServerForThisFile(['flowkit']);

describe('large artifacts on GCS', () => {
  test('a 1 GB artifact goes up as one resumable upload in 16 MB chunks and comes back in parallel ranges, intact, in bounded memory', async () => {
    const { dir, env } = project({ 'large.ts': FLOW });
    const before = server().requests().length;
    const run = startUntil(['run', 'large.ts', '--datastore', 'gcs', '--mb', String(MB)], { cwd: dir, env: { ...env, ...gcsEnv(server(), 'gs://flowkit/large'), FLOWKIT_GCS_CACHE_BYTES: '0' } }, /Workflow starting/);
    await run.reached;
    // The scheduler never holds an artifact: its peak RSS (VmHWM) stays small whatever the tasks move.
    let schedulerPeakKiB = 0;
    const watch = setInterval(() => {
      try {
        schedulerPeakKiB = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${run.child.pid}/status`, 'utf8'))?.[1] ?? schedulerPeakKiB);
      } catch {
        // It has just exited.
      }
    }, 200);
    const code = await run.exited.finally(() => clearInterval(watch));
    expect(code).toBe(0);
    const line = /read back (\d+) (\w+) peak MB (\d+)/.exec(run.output());
    expect([line?.[1], line?.[2]]).toEqual([String(MB * 1024 * 1024), 'intact']);
    // The reading task holds the one buffer the download fills (a download joining its chunks would need two).
    expect(Number(line?.[3])).toBeLessThan(1.5 * MB);
    expect(schedulerPeakKiB / 1024).toBeLessThan(300);
    const requests = server().requests().slice(before);
    const blob = (r: { path: string }) => r.path.includes('%2Fdata%2F') || r.path.includes('data%2F');
    // 16 MB chunks, the last one completing the upload (the serialized blob is a few bytes over 1 GB).
    expect(requests.filter((r) => r.method === 'PUT' && r.status === 308)).toHaveLength(MB / 16);
    expect(requests.filter((r) => r.method === 'GET' && r.path.includes('alt=media') && blob(r) && r.status === 206).length).toBeGreaterThanOrEqual(MB / 16);
  }, 300000);
});
