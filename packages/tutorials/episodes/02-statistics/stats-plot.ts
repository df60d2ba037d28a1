/**
 * Notebook-style script: reads MovieStatsFlow's latest successful run through the client and draws the
 * gross of each genre as a box plot (quartiles, median and mean) in movie-stats.svg.
 *
 *   npx tsx 02-statistics/stats-plot.ts [output.svg]
 */
import { writeFileSync } from 'node:fs';
import { Flow } from '@flowkit/client';
import type MovieStatsFlow from './stats';
import type { GenreStats } from './stats';

const ROW = 28;
const LABEL = 170;
const PLOT = 520;

async function main(): Promise<void> {
  const output = process.argv[2] ?? 'movie-stats.svg';
  const run = await new Flow<MovieStatsFlow>('MovieStatsFlow').latestSuccessfulRun();
  console.log(`Using analysis from '${run.pathspec}'`);
  const stats = Object.values(await run.data.genreStats).sort((a, b) => b.quartiles[1] - a.quartiles[1]);
  for (const s of stats) console.log(`${s.genre.padEnd(20)} n=${String(s.count).padStart(4)}  q1=${millions(s.quartiles[0])}  median=${millions(s.quartiles[1])}  q3=${millions(s.quartiles[2])}  mean=${millions(s.mean)}`);
  writeFileSync(output, boxPlot(stats, run.pathspec));
  console.log(`Wrote ${output}`);
}

/** One row per genre: the box spans the first to the third quartile, the bar is the median, the dot the mean. */
function boxPlot(stats: GenreStats[], source: string): string {
  const top = Math.max(...stats.map((s) => Math.max(s.quartiles[2], s.mean))) * 1.05;
  const x = (value: number) => LABEL + (value / top) * PLOT;
  const height = 60 + stats.length * ROW;
  const rows = stats.map((s, i) => {
    const y = 40 + i * ROW;
    const [q1, median, q3] = s.quartiles;
    return [
      `<text x="${LABEL - 8}" y="${y + 14}" text-anchor="end">${escape(s.genre)} (${s.count})</text>`,
      `<rect x="${x(q1)}" y="${y + 4}" width="${x(q3) - x(q1)}" height="${ROW - 10}" fill="#9ecae1" stroke="#3182bd"/>`,
      `<line x1="${x(median)}" x2="${x(median)}" y1="${y + 2}" y2="${y + ROW - 4}" stroke="#08306b" stroke-width="3"/>`,
      `<circle cx="${x(s.mean)}" cy="${y + ROW / 2 - 1}" r="3.5" fill="#e6550d"/>`,
    ].join('');
  });
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const value = top * f;
    return `<line x1="${x(value)}" x2="${x(value)}" y1="36" y2="${height - 20}" stroke="#ddd"/><text x="${x(value)}" y="${height - 6}" text-anchor="middle">${millions(value)}</text>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${LABEL + PLOT + 30}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">Worldwide gross by genre: quartiles, median (bar), mean (dot), from ${escape(source)}</text>`,
    ...ticks,
    ...rows,
    '</svg>',
    '',
  ].join('\n');
}

function millions(value: number): string {
  return `$${(value / 1e6).toFixed(1)}M`;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exitCode = 1;
});
