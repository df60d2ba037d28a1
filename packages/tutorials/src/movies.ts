import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TutorialError } from './errors';

/** One movie as vega-datasets ships it (only the fields the tutorials use). */
interface VegaMovie {
  Title: string | number | null;
  'Release Date': string | null;
  'Major Genre': string | null;
  'Worldwide Gross': number | null;
}

export const MOVIE_COLUMNS = ['movie_title', 'title_year', 'genre', 'gross'] as const;

export interface MoviesCsv {
  csv: string;
  rows: number;
  /** Where the data came from, for the pull report: `vega-datasets@3.2.1 data/movies.json`. */
  source: string;
}

/**
 * The tutorials' movies.csv, converted from vega-datasets' `data/movies.json` (a public teaching dataset of
 * ~3,200 films). A movie becomes a row when it has a title, a major genre, a release date and a worldwide
 * gross; everything else is as shipped, data-quality quirks included.
 */
export function moviesCsv(): MoviesCsv {
  const packageDir = vegaDatasetsDir();
  const version = (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
  const movies = JSON.parse(readFileSync(join(packageDir, 'data', 'movies.json'), 'utf8')) as VegaMovie[];
  const lines = [MOVIE_COLUMNS.join(',')];
  for (const movie of movies) {
    const { Title: title, 'Major Genre': genre, 'Worldwide Gross': gross, 'Release Date': released } = movie;
    const year = released ? /(\d{4})$/.exec(released)?.[1] : undefined;
    if (title === null || genre === null || gross === null || year === undefined) continue;
    lines.push([String(title), year, genre, String(gross)].map(csvField).join(','));
  }
  return { csv: `${lines.join('\n')}\n`, rows: lines.length - 1, source: `vega-datasets@${version} data/movies.json` };
}

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** The installed vega-datasets package; its `exports` hide package.json, so walk up from its entry module. */
function vegaDatasetsDir(): string {
  let entry: string;
  try {
    entry = require.resolve('vega-datasets');
  } catch (error) {
    throw new TutorialError('The movie data cannot be found: the vega-datasets package is not installed.', {
      hint: 'reinstall @flowkit/tutorials (it depends on vega-datasets)',
      cause: error,
    });
  }
  for (let dir = dirname(entry); dirname(dir) !== dir; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'data', 'movies.json'))) return dir;
  }
  throw new TutorialError(`vega-datasets at ${entry} has no data/movies.json.`, { hint: 'reinstall @flowkit/tutorials' });
}
