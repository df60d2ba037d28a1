/**
 * `npm run bench`: FlowKit's speed against the floor measured in the same run (a bare `node -e 0`,
 * `cp` of the same bytes), printed as one table and written to bench/results/latest.json.
 * Each figure is the median of BENCH_RUNS runs (default 5) after one warm-up. Exits 0 whatever it finds.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, type Row } from './stats';
import { benchGcs } from './gcs';
import { throughputRow } from './objectStore';
import { benchS3 } from './s3';
import { benchBatch } from './batch';
import { benchEnvironments } from './environments';
import { benchKubernetes } from './kube';
import { benchMetadataService } from './metadataService';
import { benchStepFunctions } from './stepfunctions';

const ROOT = join(__dirname, '..', '..');
const FLOWKIT = join(ROOT, 'packages', 'cli', 'bin', 'flowkit.js');
const FLOWS = join(__dirname, '..', 'flows');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
/** Runs of the rows that take minutes each (fan-out 1000, artifacts, S3). */
const HEAVY_RUNS = Math.min(RUNS, 3);
const CORES = cpus().length;

const rows: Row[] = [];
const workDir = mkdtempSync(join(tmpdir(), 'flowkit-bench-'));

/**
 * The least any content-addressed store pays for an array in node: `write` fills, hashes and writes it, `read`
 * reads and hashes it back, `fill` only fills (subtracted, as the flow's no-store baseline is).
 */
const ARRAY_FLOOR = `
const { createHash, randomFillSync } = require('node:crypto');
const { readFileSync, writeFileSync } = require('node:fs');
const [mode, file, megabytes] = process.argv.slice(1);
const hash = (bytes) => createHash('sha256').update(bytes).digest('hex');
if (mode === 'read') hash(readFileSync(file));
else {
  const array = randomFillSync(new Float64Array((megabytes * 1024 * 1024) / 8));
  if (mode === 'write') {
    hash(array);
    writeFileSync(file, array);
  }
}`;

/** Runs a command to completion; returns wall seconds and the peak RSS (KiB) seen of the process. */
function timed(command: string, args: string[], env: Record<string, string> = {}): Promise<{ seconds: number; peakKiB: number; code: number | null; output: string }> {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { cwd: workDir, env: { ...process.env, FLOWKIT_DATASTORE_SYSROOT_LOCAL: join(workDir, '.flowkit'), ...env } });
    let output = '';
    let peakKiB = 0;
    child.stdout.on('data', (c: Buffer) => (output += c.toString().slice(-2000)));
    child.stderr.on('data', (c: Buffer) => (output += c.toString().slice(-2000)));
    const sample = setInterval(() => {
      try {
        const hwm = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
        if (hwm) peakKiB = Math.max(peakKiB, Number(hwm));
      } catch {
        // The process just exited.
      }
    }, 20);
    child.on('exit', (code) => {
      clearInterval(sample);
      resolve({ seconds: Number(process.hrtime.bigint() - started) / 1e9, peakKiB, code, output });
    });
  });
}

async function repeat(label: string, runs: number, once: () => Promise<{ seconds: number; code: number | null; output: string; peakKiB: number }>, expectCode = 0) {
  const results = [];
  for (let i = 0; i <= runs; i++) {
    const result = await once();
    if (result.code !== expectCode) throw new Error(`${label} exited ${result.code}: ${result.output}`);
    if (i > 0) results.push(result);
  }
  return { seconds: median(results.map((r) => r.seconds)), peakKiB: median(results.map((r) => r.peakKiB)) };
}

const flowkit = (args: string[], env: Record<string, string> = {}) => timed(process.execPath, [FLOWKIT, ...args, '--quiet'], env);

function add(row: Omit<Row, 'met'> & { met: boolean }): void {
  rows.push(row);
  process.stderr.write(`  ${row.benchmark}: ${row.result} (${row.met ? 'met' : 'MISSED'} ${row.target})\n`);
}

async function main(): Promise<void> {
  process.stderr.write(`FlowKit benchmarks: ${RUNS} runs each after a warm-up, ${CORES} cores, work dir ${workDir}\n`);
  const floor = (await repeat('node -e 0', Math.max(RUNS, 9), () => timed(process.execPath, ['-e', '0']))).seconds;
  add({ benchmark: 'floor: node -e 0', result: `${(floor * 1000).toFixed(0)} ms`, vsFloor: '1.0x', target: '-', met: true, raw: { seconds: floor } });

  const hello = await repeat('hello', RUNS, () => flowkit(['run', join(FLOWS, 'hello.ts')]));
  add({ benchmark: '0. hello world (3 steps, CLI start included)', result: `${hello.seconds.toFixed(2)} s`, vsFloor: `${(hello.seconds / floor).toFixed(1)}x`, target: '<= 0.7 s (Metaflow 3.4 s)', met: hello.seconds <= 0.7, raw: { seconds: hello.seconds } });

  // Read commands given a flow file find its name in the graph cache, without loading the TypeScript compiler.
  const dump = await repeat('dump', Math.max(RUNS, 9), () => timed(process.execPath, [FLOWKIT, 'dump', join(FLOWS, 'hello.ts'), '1/start']));
  add({ benchmark: '9. flowkit dump <flow file> RUN/STEP (hello world run)', result: `${(dump.seconds * 1000).toFixed(0)} ms`, vsFloor: `${(dump.seconds / floor).toFixed(2)}x`, target: '<= 1.5x floor', met: dump.seconds <= 1.5 * floor, raw: { seconds: dump.seconds } });

  const hello20 = await repeat('linear', RUNS, () => flowkit(['run', join(FLOWS, 'hello.ts')]));
  const linear = await repeat('linear', RUNS, () => flowkit(['run', join(FLOWS, 'linear.ts')]));
  const perTask = (linear.seconds - hello20.seconds) / 17;
  add({ benchmark: '1. per-task overhead (20 linear steps)', result: `${(perTask * 1000).toFixed(0)} ms/task`, vsFloor: `${(perTask / floor).toFixed(2)}x`, target: '<= 1.5x floor', met: perTask <= 1.5 * floor, raw: { perTaskSeconds: perTask, linearSeconds: linear.seconds } });

  for (const width of [500, 1000]) {
    const fan = await repeat(`fanout ${width}`, width === 1000 ? HEAVY_RUNS : RUNS, () => flowkit(['run', join(FLOWS, 'fanout.ts'), '--width', String(width), '--max-workers', '16', '--max-num-splits', '1000']));
    const ideal = (width * floor) / CORES;
    add({
      benchmark: `2. fan-out ${width} empty tasks (16 workers)`,
      result: `${fan.seconds.toFixed(1)} s, ${(width / fan.seconds).toFixed(0)} tasks/s`,
      vsFloor: `${(fan.seconds / ideal).toFixed(2)}x of ${width}*floor/cores`,
      target: width === 500 ? '<= 30 s and <= 2x (Metaflow 410 s)' : '<= 2x',
      met: fan.seconds <= 2 * ideal && (width !== 500 || fan.seconds <= 30),
      raw: { seconds: fan.seconds, peakKiB: fan.peakKiB },
    });
    if (width === 500) {
      add({ benchmark: '6. scheduler peak RSS during fan-out 500', result: `${(fan.peakKiB / 1024).toFixed(0)} MB`, vsFloor: '-', target: '< 200 MB', met: fan.peakKiB / 1024 < 200, raw: { peakKiB: fan.peakKiB } });
    }
  }

  const megabytes = Number(process.env.BENCH_ARTIFACT_MB ?? 512);
  // Writing 512 MB takes several times longer while gigabytes of earlier writes are still dirty (the kernel
  // throttles writers): every timed run of this row, cp and the node floor included, starts after an untimed `sync`.
  const afterSync = <T>(run: () => Promise<T>) => () => (spawnSync('sync'), run());
  const stored = await repeat('artifacts', HEAVY_RUNS, afterSync(() => flowkit(['run', join(FLOWS, 'artifacts.ts'), '--megabytes', String(megabytes)])));
  const local = await repeat('artifacts baseline', HEAVY_RUNS, afterSync(() => flowkit(['run', join(FLOWS, 'artifacts.ts'), '--megabytes', String(megabytes), '--store', 'false'])));
  const source = join(workDir, 'cp-source');
  spawnSync('head', ['-c', String(megabytes * 1024 * 1024), '/dev/urandom'], { stdio: ['ignore', require('node:fs').openSync(source, 'w'), 'ignore'] });
  // Each copy is a new file, kept like the blobs of each run: overwriting one target would drop its dirty pages unwritten.
  let copies = 0;
  const cp = await repeat('cp', HEAVY_RUNS, afterSync(() => timed('cp', [source, join(workDir, `cp-target-${copies++}`)])));
  const array = join(workDir, 'array');
  const arrayStep = (mode: string) => afterSync(() => timed(process.execPath, ['-e', ARRAY_FLOOR, mode, array, String(megabytes)]));
  const filled = await repeat('array fill', HEAVY_RUNS, arrayStep('fill'));
  const written = await repeat('array write', HEAVY_RUNS, arrayStep('write'));
  const read = await repeat('array read', HEAVY_RUNS, arrayStep('read'));
  const nodeFloor = Math.max(written.seconds + read.seconds - filled.seconds - floor, 1e-3);
  const storage = Math.max(stored.seconds - local.seconds, 1e-3);
  add({
    benchmark: `3. artifacts: ${megabytes} MB Float64Array + 100k Map, stored then read`,
    result: `${(megabytes / storage).toFixed(0)} MB/s`,
    vsFloor: `${((cp.seconds / storage) * 100).toFixed(0)}% of cp (${(megabytes / cp.seconds).toFixed(0)} MB/s); ${((nodeFloor / storage) * 100).toFixed(0)}% of node (${(megabytes / nodeFloor).toFixed(0)} MB/s)`,
    target: '>= 50% of cp',
    met: cp.seconds / storage >= 0.5,
    raw: { storedSeconds: stored.seconds, baselineSeconds: local.seconds, cpSeconds: cp.seconds, nodeFloorSeconds: nodeFloor },
  });
  for (const file of [source, array, ...Array.from({ length: copies }, (_, i) => join(workDir, `cp-target-${i}`))]) rmSync(file, { force: true });

  add(throughputRow('7. S3 (s3rver)', await benchS3(Number(process.env.BENCH_S3_MB ?? 1024), HEAVY_RUNS), 'the AWS SDK'));
  add(throughputRow('12. GCS (GCS test server)', await benchGcs(Number(process.env.BENCH_S3_MB ?? 1024), HEAVY_RUNS), '@google-cloud/storage'));

  const original = await timed(process.execPath, [FLOWKIT, 'run', join(FLOWS, 'fanout.ts'), '--width', '1000', '--max-num-splits', '1000', '--quiet'], { FAIL_JOIN: '1' });
  const resumed = await flowkit(['resume', join(FLOWS, 'fanout.ts')]);
  if (resumed.code !== 0) throw new Error(`resume failed: ${resumed.output}`);
  add({
    benchmark: '4. resume a 1000-task foreach whose join failed',
    result: `${resumed.seconds.toFixed(1)} s (original ${original.seconds.toFixed(1)} s)`,
    vsFloor: `${((resumed.seconds / original.seconds) * 100).toFixed(1)}% of original`,
    target: '<= 5% of original',
    met: resumed.seconds / original.seconds <= 0.05,
    raw: { resumeSeconds: resumed.seconds, originalSeconds: original.seconds },
  });

  const client = await repeat('client', RUNS, () =>
    timed(process.execPath, ['-e', `
      const { configureClient, namespace, Flow } = require(${JSON.stringify(join(ROOT, 'packages', 'client'))});
      configureClient({ datastoreRoot: ${JSON.stringify(join(workDir, '.flowkit'))} });
      namespace(null);
      (async () => {
        const run = (await new Flow('FanoutFlow').runs())[0];
        const started = process.hrtime.bigint();
        const tasks = await run.step('body').tasks();
        const values = await Promise.all(tasks.map((t) => t.data.value));
        if (values.length !== 1000) throw new Error('expected 1000 tasks, got ' + values.length);
        process.stdout.write(String(Number(process.hrtime.bigint() - started) / 1e9));
      })();
    `]),
  );
  add({ benchmark: '5. client: list 1000 tasks, read one artifact each', result: `${client.seconds.toFixed(2)} s (process included)`, vsFloor: '-', target: '< 1 s', met: client.seconds < 1, raw: { seconds: client.seconds } });
  add(await (await import('./ui')).benchUi(workDir, RUNS));

  for (const row of await benchEnvironments(workDir, HEAVY_RUNS)) add(row);
  for (const row of await benchMetadataService()) add(row);
  for (const row of await benchBatch(FLOWKIT, join(FLOWS, 'fanout.ts'), workDir)) add(row);
  for (const row of await benchKubernetes(FLOWKIT, join(FLOWS, 'fanout.ts'), workDir)) add(row);
  for (const row of await benchStepFunctions(flowkit, join(FLOWS, 'fanout.ts'), workDir, HEAVY_RUNS)) add(row);

  const header = ['benchmark', 'result', 'vs floor', 'target', 'status'];
  const table = [header, ...rows.map((r) => [r.benchmark, r.result, r.vsFloor, r.target, r.met ? 'met' : 'MISSED'])];
  const widths = header.map((_, i) => Math.max(...table.map((r) => (r[i] as string).length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  process.stdout.write([line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...table.slice(1).map(line)].join('\n') + '\n');
  mkdirSync(join(__dirname, '..', 'results'), { recursive: true });
  writeFileSync(join(__dirname, '..', 'results', 'latest.json'), JSON.stringify({ date: new Date().toISOString(), cores: CORES, runs: RUNS, rows }, null, 2));
  rmSync(workDir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  process.stderr.write(`benchmark failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 0;
});
