/**
 * Benchmark 7: the metadata service on a real PostgreSQL (started here on a temp dir, like the tests do).
 * Registers 10k tasks through the `service` provider (create, start, finish: 30k requests, 32 in flight),
 * then lists them through the HTTP API with server-side filters, and reports requests/s and p99 latency.
 */
import { mapLimit } from '@flowkit/core/internal';
import { ServiceMetadataProvider } from '@flowkit/metadata-service';
import { startPostgres } from '../../test/helpers/postgres';
import { startService } from '../../test/helpers/service';
import type { Row } from './stats';

const TASKS = Number(process.env.BENCH_SERVICE_TASKS ?? 10_000);
const IN_FLIGHT = 32;
const LIST_REPEATS = 20;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

async function timedMs<T>(latencies: number[], call: () => Promise<T>): Promise<T> {
  const started = process.hrtime.bigint();
  const result = await call();
  latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
  return result;
}

export async function benchMetadataService(): Promise<Row[]> {
  const postgres = await startPostgres();
  const service = await startService({ databaseUrl: await postgres.createDatabase('bench') });
  try {
    const provider = new ServiceMetadataProvider({ url: service.url });
    const run = await provider.newRun('BenchFlow', { user: 'bench', tags: ['bench'], systemTags: ['user:bench'] });
    const writes: number[] = [];
    const writeStarted = process.hrtime.bigint();
    await mapLimit(Array.from({ length: TASKS }, (_, i) => i), IN_FLIGHT, async (i) => {
      const task = await timedMs(writes, () => provider.newTask({ flowName: 'BenchFlow', runId: run.runId, stepName: 'body' }, { foreachIndices: [i] }));
      await timedMs(writes, () => provider.startAttempt(task, 0));
      await timedMs(writes, () => provider.finishAttempt(task, 0, i % 10 === 0 ? { status: 'failed', error: 'Error: bench' } : { status: 'succeeded' }));
    });
    const writeSeconds = Number(process.hrtime.bigint() - writeStarted) / 1e9;

    const base = `${service.url}/v1/flows/BenchFlow/runs/${run.runId}/steps/body/tasks`;
    const pages: number[] = [];
    const filtered: number[] = [];
    let listed = 0;
    let failed = 0;
    const listStarted = process.hrtime.bigint();
    for (let r = 0; r < LIST_REPEATS; r++) {
      let cursor: string | null = null;
      listed = 0;
      do {
        const url = `${base}?limit=1000${cursor ? `&cursor=${cursor}` : ''}`;
        const page = (await timedMs(pages, () => fetch(url).then((res) => res.json()))) as { items: unknown[]; next: string | null };
        listed += page.items.length;
        cursor = page.next;
      } while (cursor);
      failed = ((await timedMs(filtered, () => fetch(`${base}?status=failed&limit=1000`).then((res) => res.json()))) as { items: unknown[] }).items.length;
    }
    const listSeconds = Number(process.hrtime.bigint() - listStarted) / 1e9;
    if (listed !== TASKS || failed !== TASKS / 10) throw new Error(`listed ${listed} tasks (${failed} failed), expected ${TASKS} (${TASKS / 10})`);
    const writeRate = writes.length / writeSeconds;
    const writeP99 = percentile(writes, 99);
    const pageP99 = percentile(pages, 99);
    const filteredP99 = percentile(filtered, 99);
    return [
      {
        benchmark: `8. metadata service: register ${TASKS / 1000}k tasks (create+start+finish, ${IN_FLIGHT} in flight)`,
        result: `${writeRate.toFixed(0)} req/s, p99 ${writeP99.toFixed(1)} ms`,
        vsFloor: '-',
        target: '>= 1000 req/s, p99 <= 100 ms',
        met: writeRate >= 1000 && writeP99 <= 100,
        raw: { requests: writes.length, seconds: writeSeconds, p50Ms: percentile(writes, 50), p99Ms: writeP99 },
      },
      {
        benchmark: `8. metadata service: list ${TASKS / 1000}k tasks (pages of 1000), and status=failed (${TASKS / 10})`,
        result: `${((pages.length + filtered.length) / listSeconds).toFixed(0)} req/s, p99 ${pageP99.toFixed(0)} ms/page, filtered p99 ${filteredP99.toFixed(0)} ms`,
        vsFloor: '-',
        target: 'p99 <= 150 ms per page of 1000',
        met: pageP99 <= 150 && filteredP99 <= 150,
        raw: { pages: pages.length, pageP50Ms: percentile(pages, 50), pageP99Ms: pageP99, filteredP99Ms: filteredP99 },
      },
    ];
  } finally {
    await service.stop();
    await postgres.stop();
  }
}
