/**
 * Notebook-style dashboard: every flow you can see through the client, with its runs and how the latest
 * ones went. Works the same on the local datastore and on S3.
 *
 *   npx tsx 07-worldview/worldview.ts [--all]      (--all: every user's runs, not only yours)
 */
import { Metaflow, namespace, type Run } from '@flowkit/client';

async function main(): Promise<void> {
  if (process.argv.includes('--all')) namespace(null);
  const flows = await new Metaflow().flows();
  if (flows.length === 0) {
    console.log('No flows yet: run an episode first.');
    return;
  }
  const header = ['flow', 'runs', 'successful', 'latest run', 'state', 'started', 'took'];
  const rows = [header];
  for (const flow of flows) {
    const runs = await flow.runs();
    const latest = runs[0];
    if (!latest) continue;
    const successes = await Promise.all(runs.map((run) => run.successful));
    const state = (await latest.successful) ? 'succeeded' : 'not finished (failed, stopped or running)';
    rows.push([flow.id, String(runs.length), String(successes.filter(Boolean).length), latest.pathspec, state, stamp(await latest.createdAt), await took(latest)]);
  }
  const widths = header.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  for (const row of rows) console.log(row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd());
}

function stamp(date: Date): string {
  return date.toISOString().replace('T', ' ').slice(0, 19);
}

async function took(run: Run): Promise<string> {
  const finished = await run.finishedAt;
  return finished ? `${((finished.getTime() - (await run.createdAt).getTime()) / 1000).toFixed(1)} s` : '-';
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exitCode = 1;
});
