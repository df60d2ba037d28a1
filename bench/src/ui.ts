/**
 * `flowkit ui`: the run page of the latest 1000-task FanoutFlow run in the work dir (rows 4-5 leave one), loaded in
 * Debian's chromium from a blank page until its DAG and its timeline are drawn, through a real `flowkit ui` process.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { get, startUi } from '../../test/helpers/ui';
import { median, type Row } from './stats';

const CHROMIUM = '/usr/bin/chromium';
const BENCHMARK = '19. flowkit ui: run page of a 1000-task foreach (DAG + timeline drawn, chromium)';
const TARGET = '< 1 s';

function notRun(why: string): Row {
  return { benchmark: BENCHMARK, result: `not run: ${why}`, vsFloor: '-', target: TARGET, met: false, raw: {} };
}

export async function benchUi(workDir: string, runs: number): Promise<Row> {
  if (!existsSync(CHROMIUM)) return notRun(`${CHROMIUM} is missing (apt-get install chromium)`);
  const { chromium } = await import('playwright-core');
  // Root cannot use chromium's sandbox.
  const browser = await chromium.launch({ executablePath: CHROMIUM, chromiumSandbox: false }).catch((error: Error) => error);
  if (browser instanceof Error) return notRun(`chromium does not start: ${browser.message.split('\n')[0]}`);
  const ui = await startUi({ cwd: workDir, env: { FLOWKIT_DATASTORE_SYSROOT_LOCAL: join(workDir, '.flowkit') } }, ['--namespace', '']);
  try {
    const runId = (await get(ui.url, '/api/flows/FanoutFlow/runs?limit=1')).body.runs?.[0]?.id as string | undefined;
    if (runId === undefined) throw new Error(`no FanoutFlow run in ${workDir}`);
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    const seconds: number[] = [];
    // The first load (the server process's first read of the run) is the warm-up, shown beside the median.
    for (let i = 0; i <= runs; i++) {
      await page.goto('about:blank');
      const started = process.hrtime.bigint();
      await page.goto(`${ui.url}#/flows/FanoutFlow/runs/${runId}`);
      await Promise.all([page.waitForSelector('svg#dag g.node'), page.waitForSelector('svg#timeline rect.bar')]);
      seconds.push(Number(process.hrtime.bigint() - started) / 1e9);
    }
    const bars = await page.$$eval('svg#timeline rect.bar', (rects) => rects.length);
    if (bars < 1000) throw new Error(`FanoutFlow run ${runId} drew ${bars} timeline bars, not a 1000-task run`);
    const [first = 0, ...warm] = seconds;
    const load = median(warm);
    const ms = (s: number) => `${(s * 1000).toFixed(0)} ms`;
    return { benchmark: BENCHMARK, result: `${ms(load)} (${bars} bars)`, vsFloor: `first load ${ms(first)}`, target: TARGET, met: load < 1, raw: { seconds: load, firstSeconds: first, bars } };
  } finally {
    await browser.close();
    await ui.stop();
  }
}
