/**
 * Notebook-style script: reads MovieStatsFlow's latest successful run from wherever its data is (S3 after
 * this episode's run), including the CSV file the run included, and prints the genre statistics.
 *
 *   npx tsx 06-statistics-redux/stats-remote.ts
 */
import { Flow } from '@flowkit/client';
import type MovieStatsFlow from '../02-statistics/stats';

async function main(): Promise<void> {
  const run = await new Flow<MovieStatsFlow>('MovieStatsFlow').latestSuccessfulRun();
  console.log(`Using analysis from '${run.pathspec}'`);
  const start = await run.step('start').task;
  if (!start) throw new Error(`${run.pathspec} has no start task`);
  // The CSV was read from the laptop at run start and stored with the run: it is readable from anywhere.
  const csv = await start.data.movieData;
  console.log(`The run included movies.csv: ${csv.trim().split('\n').length - 1} movies, ${Buffer.byteLength(csv)} bytes`);
  const tasks = await run.step('computeStatistics').tasks();
  console.log(`${tasks.length} genres were computed in parallel`);
  const stats = Object.values(await run.data.genreStats).sort((a, b) => b.quartiles[1] - a.quartiles[1]);
  for (const s of stats) console.log(`${s.genre.padEnd(20)} ${String(s.count).padStart(4)} movies, median gross $${(s.quartiles[1] / 1e6).toFixed(1)}M`);
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exitCode = 1;
});
