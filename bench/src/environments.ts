/**
 * Per-step npm environments (`--environment packages`) against npm itself, from the npm registry test server: what
 * preparing a run's environments costs once they are cached (no npm call), and a cold build (resolve + install)
 * beside plain npm doing the same (`npm install --package-lock-only`, then `npm ci`), npm's cache warm for both.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Config, registry } from '@flowkit/core/plugin';
import { plugin } from '@flowkit/environment-npm';
import { NpmRegistryTestServer } from '@flowkit/test-servers';
import { median, type Row } from './stats';

/** Packages in the registry: each depends on the two before it, so a set installs a real tree. */
const PACKAGES = 40;
/** Distinct sets a run asks for (one per step). */
const SETS = 4;

export async function benchEnvironments(workDir: string, runs: number): Promise<Row[]> {
  const npmRegistry = await NpmRegistryTestServer.start();
  const saved = { ...process.env };
  try {
    for (let i = 0; i < PACKAGES; i++) {
      const dependencies = Object.fromEntries([i - 1, i - 2].filter((d) => d >= 0).map((d) => [`bench-pkg-${d}`, '^1.0.0']));
      await npmRegistry.publish(`bench-pkg-${i}`, '1.0.0', { 'index.js': `exports.n = ${i};\n`, 'README.md': 'x'.repeat(2000) }, dependencies);
    }
    Object.assign(process.env, npmRegistry.env(join(workDir, 'npm-cache')));
    registry.use(plugin);
    const manager = registry.environmentManager('packages');
    // Step i asks for the top package and a few others: SETS distinct sets of about PACKAGES packages.
    const requests = Object.fromEntries(Array.from({ length: SETS }, (_, i) => [`step${i}`, { [`bench-pkg-${PACKAGES - 1}`]: '^1.0.0', [`bench-pkg-${i}`]: '1.0.0' }]));
    const prepare = (cacheDir: string) => manager.prepare({ flowName: 'BenchFlow', requests, config: new Config({ FLOWKIT_PACKAGES_CACHE_DIR: cacheDir }), info: () => undefined });
    const timed = async (work: () => Promise<unknown>) => {
      const started = process.hrtime.bigint();
      await work();
      return Number(process.hrtime.bigint() - started) / 1e9;
    };
    // Warms npm's own cache (tarballs, packuments) for both sides of the cold comparison.
    await prepare(join(workDir, 'envs-warmup'));
    const cold: number[] = [];
    const plain: number[] = [];
    const warm: number[] = [];
    for (let run = 0; run < runs; run++) {
      const cacheDir = join(workDir, `envs-${run}`);
      cold.push(await timed(() => prepare(cacheDir)));
      for (let i = 0; i < 3; i++) warm.push(await timed(() => prepare(cacheDir)));
      plain.push(await timed(() => plainNpm(requests, workDir)));
      rmSync(cacheDir, { recursive: true, force: true });
    }
    const warmMs = (median(warm) * 1000) / SETS;
    return [
      {
        benchmark: `17. environments: prepare a run's ${SETS} cached sets (~${PACKAGES} packages each)`,
        result: `${warmMs.toFixed(1)} ms/set`,
        vsFloor: 'no npm call',
        target: '<= 50 ms/set',
        met: warmMs <= 50,
        raw: { warmMsPerSet: warmMs },
      },
      {
        benchmark: `18. environments: cold build of ${SETS} sets (resolve + install)`,
        result: `${median(cold).toFixed(1)} s`,
        vsFloor: `${(median(cold) / median(plain)).toFixed(2)}x of plain npm (${median(plain).toFixed(1)} s)`,
        target: 'reported',
        met: true,
        raw: { coldSeconds: median(cold), plainNpmSeconds: median(plain) },
      },
    ];
  } finally {
    process.env = saved;
    await npmRegistry.stop();
  }
}

/** What npm alone does for the same sets, one after another: resolve a lockfile, then install from it. */
async function plainNpm(requests: Record<string, Record<string, string>>, workDir: string): Promise<void> {
  for (const dependencies of Object.values(requests)) {
    const dir = mkdtempSync(join(workDir, 'plain-npm-'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'plain', version: '0.0.0', private: true, dependencies }));
    const npm = (args: string[]) => promisify(execFile)('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir });
    await npm(['install', '--package-lock-only', '--ignore-scripts']);
    await npm(['ci']);
    rmSync(dir, { recursive: true, force: true });
  }
}
