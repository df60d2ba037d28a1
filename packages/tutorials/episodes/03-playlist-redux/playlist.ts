import { FlowSpec, Parameter, step, type Inputs } from '@flowkit/core';
import { Flow } from '@flowkit/client';
import type MovieStatsFlow from '../02-statistics/stats';
import type { GenreStats } from '../02-statistics/stats';

/**
 * The next version of the playlist generator: it uses the statistics of episode 02 to recommend
 * only the top box-office movies.
 *
 * 1) Loads the genre statistics from MovieStatsFlow's latest successful run.
 * 2) In parallel branches: A) builds a playlist of the top-grossing movies of the genre;
 *    B) picks a random movie of another genre.
 * 3) Joins the two and shows the playlist.
 */
export default class PlayListFlow extends FlowSpec {
  genre = Parameter('genre', { help: 'Filter movies for a particular genre', default: 'Adventure' });
  recommendations = Parameter('recommendations', { help: 'The number of movies to recommend in the playlist', default: 5 });

  declare statsRun: string;
  declare genreStats: Record<string, GenreStats>;
  declare movies: string[];
  declare bonus: [title: string, genre: string];
  declare playlist: string[];

  /** Reads MovieStatsFlow's results with the client, the same way a script would, and keeps them as artifacts. */
  @step async start() {
    const run = await new Flow<MovieStatsFlow>('MovieStatsFlow').latestSuccessfulRun();
    console.log(`Using analysis from '${run.pathspec}'`);
    this.statsRun = run.pathspec;
    this.genreStats = await run.data.genreStats;
    this.next(this.bonusMovie, this.genreMovies);
  }

  /** Picks a random movie from the other genres. */
  @step bonusMovie() {
    const others = Object.values(this.genreStats)
      .filter((stats) => stats.genre.toLowerCase() !== this.genre.toLowerCase())
      .flatMap((stats) => stats.dataframe.movie_title.map((title) => [title, stats.genre] as [string, string]));
    this.bonus = others[Math.floor(Math.random() * others.length)] as [string, string];
    this.next(this.join);
  }

  /** Keeps the genre's movies in its top quartile of gross, in random order. */
  @step genreMovies() {
    const stats = this.genreStats[this.genre.toLowerCase()];
    const top = stats ? stats.dataframe.movie_title.filter((_, i) => (stats.dataframe.gross[i] as number) >= stats.quartiles[2]) : [];
    this.movies = shuffle(top);
    this.next(this.join);
  }

  /** Joins the two branches, and carries on which analysis the playlist came from. */
  @step join(inputs: Inputs<PlayListFlow>) {
    this.playlist = inputs.genreMovies.movies;
    this.bonus = inputs.bonusMovie.bonus;
    this.mergeArtifacts(inputs, { include: ['statsRun'] });
    this.next(this.end);
  }

  /** Prints the playlist and the bonus movie. */
  @step end() {
    console.log(`Playlist for movies in genre '${this.genre}'`);
    this.playlist.slice(0, this.recommendations).forEach((movie, i) => console.log(`Pick ${i + 1}: '${movie}'`));
    console.log(`Bonus Pick: '${this.bonus[0]}' from '${this.bonus[1]}'`);
  }
}

/** Fisher-Yates: every order equally likely. */
function shuffle<T>(items: T[]): T[] {
  const result = [...items];
  for (let i = result.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [result[i], result[j]] = [result[j] as T, result[i] as T];
  }
  return result;
}
