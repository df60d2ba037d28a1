import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Flow, configureClient, namespace } from '@flowkit/client';
import { flowkit, type CliResult } from '../helpers/flowkit';
import { datasetMovies, printed, pulledTutorials, tsxScript, type Movie } from '../helpers/tutorials';

/** Episodes 01-04 in one pulled directory, in order: 03 and 04 read the run 02 made. */
let dir: string;
const movies = datasetMovies();

beforeAll(async () => {
  ({ dir } = await pulledTutorials());
  configureClient({ flowDir: dir });
  namespace('user:tester');
});

async function run(args: string[]): Promise<CliResult> {
  const result = await flowkit(['run', ...args], { cwd: dir });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result;
}

function sameGenre(movie: Movie, genre: string): boolean {
  return movie.genre.toLowerCase() === genre.toLowerCase();
}

/** Linear interpolation between closest ranks, the definition the episode documents. */
function quantile(sorted: number[], p: number): number {
  const h = (sorted.length - 1) * p;
  const low = sorted[Math.floor(h)] as number;
  return low + ((sorted[Math.ceil(h)] as number) - low) * (h - Math.floor(h));
}

function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min((previous[j] as number) + 1, (row[j - 1] as number) + 1, (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = row;
  }
  return previous[b.length] as number;
}

interface Stats {
  genre: string;
  count: number;
  mean: number;
  quartiles: number[];
  max: number;
  dataframe: { movie_title: string[]; gross: number[] };
}

describe('tutorial episodes 01-04, pulled and run with the real CLI', () => {
  test('01-playlist: the playlist is exactly the genre of --genre, the bonus another genre', async () => {
    const result = await run(['01-playlist/playlist.ts', '--genre', 'comedy', '--recommendations', '3']);
    const lines = printed(result.stdout);
    const comedies = movies.filter((m) => sameGenre(m, 'comedy')).map((m) => m.title);
    expect(lines).toContain("Playlist for movies in genre 'comedy'");
    const picks = lines.filter((line) => line.startsWith('Pick '));
    expect(picks).toHaveLength(3);
    for (const pick of picks) expect(comedies).toContain(/^Pick \d: '(.*)'$/.exec(pick)?.[1]);

    const latest = await new Flow('PlayListFlow').latestSuccessfulRun();
    expect([...((await latest.data.playlist) as string[])].sort()).toEqual([...comedies].sort());
    const [title, genre] = (await latest.data.bonus) as [string, string];
    expect(genre).not.toBe('Comedy');
    expect(movies).toContainEqual(expect.objectContaining({ title, genre }));
    expect(lines).toContain(`Bonus Pick: '${title}' from '${genre}'`);
  });

  test('02-statistics: one task per genre, statistics equal to ones computed here, and a plot through the client', async () => {
    const result = await run(['02-statistics/stats.ts']);
    const genres = [...new Set(movies.map((m) => m.genre))].sort();
    for (const genre of genres) expect(printed(result.stdout)).toContain(`Computing statistics for ${genre}`);

    const statsRun = await new Flow('MovieStatsFlow').latestSuccessfulRun();
    expect(await statsRun.step('computeStatistics').tasks()).toHaveLength(genres.length);
    const genreStats = (await statsRun.data.genreStats) as Record<string, Stats>;
    expect(Object.keys(genreStats).sort()).toEqual(genres.map((g) => g.toLowerCase()).sort());
    for (const genre of genres) {
      const gross = movies.filter((m) => m.genre === genre).map((m) => m.gross).sort((a, b) => a - b);
      const stats = genreStats[genre.toLowerCase()] as Stats;
      expect(stats.count).toBe(gross.length);
      expect(stats.mean).toBeCloseTo(gross.reduce((sum, g) => sum + g, 0) / gross.length, 3);
      expect(stats.quartiles).toEqual([0.25, 0.5, 0.75].map((p) => quantile(gross, p)));
      expect(stats.max).toBe(gross[gross.length - 1]);
      expect(stats.dataframe.gross).toEqual(gross);
    }

    const plot = await tsxScript(['02-statistics/stats-plot.ts'], { cwd: dir });
    expect(plot.stderr).toBe('');
    expect(plot.code).toBe(0);
    expect(plot.stdout).toContain(`Using analysis from '${statsRun.pathspec}'`);
    expect(plot.stdout).toMatch(/^Adventure\s+n= 274\s+q1=\$42\.7M\s+median=\$133\.0M/m);
    const svg = readFileSync(join(dir, 'movie-stats.svg'), 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    for (const genre of genres) expect(svg).toContain(`>${genre} (${genreStats[genre.toLowerCase()]?.count})</text>`);
    expect(svg.match(/<rect [^>]*fill="#9ecae1"/g)).toHaveLength(genres.length);
  });

  test("03-playlist-redux: reads 02's latest successful run and recommends the genre's top quartile", async () => {
    const statsRun = await new Flow('MovieStatsFlow').latestSuccessfulRun();
    const result = await run(['03-playlist-redux/playlist.ts', '--genre', 'Drama']);
    expect(printed(result.stdout)).toContain(`Using analysis from '${statsRun.pathspec}'`);
    const drama = movies.filter((m) => m.genre === 'Drama');
    const q3 = quantile(drama.map((m) => m.gross).sort((a, b) => a - b), 0.75);
    const playlistRun = await new Flow('PlayListFlow').latestSuccessfulRun();
    expect(await playlistRun.data.statsRun).toBe(statsRun.pathspec);
    expect([...((await playlistRun.data.playlist) as string[])].sort()).toEqual(drama.filter((m) => m.gross >= q3).map((m) => m.title).sort());
    expect(((await playlistRun.data.bonus) as string[])[1]).not.toBe('Drama');
  });

  test('04-playlist-plus: the bonus is the title closest to --hint by edit distance', async () => {
    const hint = 'Data Science Strikes Back';
    const result = await run(['04-playlist-plus/playlist.ts', '--hint', hint]);
    const distances = movies.map((m) => levenshtein(hint, m.title));
    const closest = movies[distances.indexOf(Math.min(...distances))] as Movie;
    expect(printed(result.stdout)).toContain(`Bonus Pick: '${closest.title}' from '${closest.genre}'`);
    expect(printed(result.stdout)).toContain("Playlist for movies in genre 'Adventure'");
    expect(existsSync(join(dir, '.flowkit', 'PlayListFlow'))).toBe(true);
  });
});
