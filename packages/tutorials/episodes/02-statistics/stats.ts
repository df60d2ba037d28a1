import { FlowSpec, IncludeFile, step, type Inputs } from '@flowkit/core';
import * as aq from 'arquero';

/** Box-office statistics of one genre, and its movies from the lowest gross to the highest. */
export interface GenreStats {
  genre: string;
  count: number;
  mean: number;
  /** The 25th, 50th and 75th percentiles of the worldwide gross (linear interpolation). */
  quartiles: [number, number, number];
  max: number;
  dataframe: { movie_title: string[]; title_year: number[]; gross: number[] };
}

/**
 * A flow that computes box-office statistics for every movie genre.
 *
 * 1) Reads the movie CSV into a dataframe.
 * 2) Fans out over the genres with foreach: one task per genre.
 * 3) Computes the quartiles of each genre's worldwide gross.
 * 4) Joins them into one dictionary of genre statistics.
 */
export default class MovieStatsFlow extends FlowSpec {
  movieData = IncludeFile('movie_data', { help: 'The path to a movie metadata file', default: 'movies.csv' });

  /** Columns of the movie table: plain arrays, so any step (or the client) can read them. */
  declare dataframe: Record<string, unknown[]>;
  declare genres: string[];
  declare stats: GenreStats;
  declare genreStats: Record<string, GenreStats>;

  /** Loads the movies into a dataframe, finds the genres and starts one task per genre. */
  @step start() {
    const movies = aq.fromCSV(this.movieData, { parse: { movie_title: String } });
    this.dataframe = Object.fromEntries(movies.columnNames().map((name) => [name, movies.array(name) as unknown[]]));
    this.genres = (movies.dedupe('genre').array('genre') as string[]).sort();
    this.next(this.computeStatistics, { foreach: 'genres' });
  }

  /** Statistics of one genre: `this.input` is the genre this task was given. */
  @step computeStatistics() {
    const genre = this.input as string;
    console.log(`Computing statistics for ${genre}`);
    const movies = aq
      .table(this.dataframe)
      .params({ genre })
      .filter((d: { genre: string }, $: { genre: string }) => d.genre === $.genre)
      .orderby('gross');
    const summary = movies
      .rollup({
        count: aq.op.count(),
        mean: aq.op.mean('gross'),
        q1: aq.op.quantile('gross', 0.25),
        median: aq.op.median('gross'),
        q3: aq.op.quantile('gross', 0.75),
        max: aq.op.max('gross'),
      })
      .object() as { count: number; mean: number; q1: number; median: number; q3: number; max: number };
    this.stats = {
      genre,
      count: summary.count,
      mean: summary.mean,
      quartiles: [summary.q1, summary.median, summary.q3],
      max: summary.max,
      dataframe: {
        movie_title: movies.array('movie_title') as string[],
        title_year: movies.array('title_year') as number[],
        gross: movies.array('gross') as number[],
      },
    };
    this.next(this.join);
  }

  /** Merges the genres' statistics into one dictionary keyed by lower-case genre. */
  @step join(inputs: Inputs<MovieStatsFlow>) {
    this.genreStats = Object.fromEntries(inputs.map((input) => [input.stats.genre.toLowerCase(), input.stats]));
    this.mergeArtifacts(inputs, { include: ['genres', 'dataframe'] });
    this.next(this.end);
  }

  /** Prints a summary: the median gross of each genre. */
  @step end() {
    for (const stats of Object.values(this.genreStats)) {
      console.log(`${stats.genre}: ${stats.count} movies, median gross $${(stats.quartiles[1] / 1e6).toFixed(1)}M`);
    }
  }
}
