/**
 * A 200-way foreach on AWS Batch through the Batch test server (its jobs run as local processes, fetching the
 * code package from s3rver): what the scheduler itself spends per task (CPU time of the `flowkit` process) and
 * how many Batch API calls it makes per task (CloudWatch Logs excluded), beside the same fan-out run locally.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BatchTestServer } from '@flowkit/test-servers';
import { S3TestServer } from '../../test/helpers/s3server';
import type { Row } from './stats';

/** Linux accounts process CPU time in ticks of 1/100 s. */
const TICKS_PER_SECOND = 100;

/** Runs the CLI to its end; returns its exit code and its own CPU seconds (user + system, children excluded). */
export function cpuOf(flowkitBin: string, args: string[], env: Record<string, string>, cwd: string): Promise<{ code: number | null; cpuSeconds: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [flowkitBin, ...args], { cwd, env: { ...process.env, ...env } });
    let output = '';
    let ticks = 0;
    child.stdout.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-4000)));
    child.stderr.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-4000)));
    // The last sample before exit: /proc/<pid> is gone once the process is.
    const sample = setInterval(() => {
      try {
        const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        ticks = Number(fields[11]) + Number(fields[12]);
      } catch {
        // The process just exited.
      }
    }, 10);
    child.on('exit', (code) => {
      clearInterval(sample);
      resolve({ code, cpuSeconds: ticks / TICKS_PER_SECOND, output });
    });
  });
}

export async function benchBatch(flowkitBin: string, flowFile: string, workDir: string, width = 200): Promise<Row[]> {
  const s3 = await S3TestServer.start(['bench']);
  const batch = await BatchTestServer.start({ queues: ['bench'], stateDelayMs: 20, jobRoleCredentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  try {
    const args = ['run', flowFile, '--width', String(width), '--max-workers', '32', '--max-num-splits', String(width), '--quiet'];
    const local = await cpuOf(flowkitBin, args, { FLOWKIT_DATASTORE_SYSROOT_LOCAL: `${workDir}/.flowkit-batch-bench` }, workDir);
    const env = {
      ...batch.env(),
      ...s3.env('s3://bench/batch'),
      FLOWKIT_DATASTORE_SYSROOT_LOCAL: `${workDir}/.flowkit-batch-bench`,
      FLOWKIT_DEFAULT_DATASTORE: 's3',
      FLOWKIT_BATCH_JOB_QUEUE: 'bench',
      FLOWKIT_ECS_S3_ACCESS_IAM_ROLE: 'arn:aws:iam::123456789012:role/bench',
    };
    const remote = await cpuOf(flowkitBin, [...args, '--with', 'batch'], env, workDir);
    if (local.code !== 0 || remote.code !== 0) throw new Error(`fan-out on Batch failed: ${local.output}${remote.output}`);
    const tasks = width + 3;
    const calls = batch.requests().filter((operation) => !/LogEvents|LogStreams/.test(operation)).length;
    const cpuMs = (remote.cpuSeconds * 1000) / tasks;
    const localMs = (local.cpuSeconds * 1000) / tasks;
    return [
      {
        benchmark: `10. fan-out ${width} on AWS Batch (test server): scheduler CPU per task`,
        result: `${cpuMs.toFixed(1)} ms/task`,
        vsFloor: `local run: ${localMs.toFixed(1)} ms/task`,
        target: '<= 20 ms',
        met: cpuMs <= 20,
        raw: { cpuMsPerTask: cpuMs, localCpuMsPerTask: localMs },
      },
      {
        benchmark: `11. fan-out ${width} on AWS Batch (test server): Batch API calls per task`,
        result: `${(calls / tasks).toFixed(2)} calls/task`,
        vsFloor: '-',
        target: '<= 3 (logs excluded)',
        met: calls / tasks <= 3,
        raw: { callsPerTask: calls / tasks, calls },
      },
    ];
  } finally {
    await batch.stop();
    await s3.close();
  }
}
