import { FlowSpec, Parameter, step, type Inputs } from '@flowkit/core';
import { Flow } from '@flowkit/client';
import { distance } from 'fastest-levenshtein';
import type MovieStatsFlow from '../02-statistics/stats';
import type { GenreStats } from '../02-statistics/stats';

/**
 * The playlist generator with a 'hint' parameter: the bonus movie is the one whose title is
 * closest to the hint (string edit distance, from an npm package).
 *
 * 1) Loads the movies and genre statistics from MovieStatsFlow's latest successful run.
 * 2) In parallel branches: A) builds a playlist of the top-grossing movies of the genre;
 *    B) picks the bonus movie whose title has the smallest edit distance to the hint.
 * 3) Joins the two and shows the playlist.
 */
export default class PlayListFlow extends FlowSpec {
  genre = Parameter('genre', { help: 'Filter movies for a particular genre', default: 'Adventure' });
  hint = Parameter('hint', { help: 'Give a hint to the bonus movie algorithm', default: 'FlowKit Release' });
  recommendations = Parameter('recommendations', { help: 'The number of movies to recommend in the playlist', default: 5 });

  declare dataframe: Record<string, unknown[]>;
  declare genreStats: Record<string, GenreStats>;
  declare movies: string[];
  declare bonus: [title: string, genre: string];
  declare playlist: string[];

  /** Reads every movie and the genre statistics from episode 02's latest successful run. */
  @step async start() {
    const run = await new Flow<MovieStatsFlow>('MovieStatsFlow').latestSuccessfulRun();
    console.log(`Using analysis from '${run.pathspec}'`);
    this.dataframe = await run.data.dataframe;
    this.genreStats = await run.data.genreStats;
    this.next(this.bonusMovie, this.genreMovies);
  }

  /** The movie whose title is closest to the hint (Levenshtein distance from fastest-levenshtein). */
  @step bonusMovie() {
    const titles = this.dataframe.movie_title as string[];
    const genres = this.dataframe.genre as string[];
    const distances = titles.map((title) => distance(this.hint, title));
    const best = distances.indexOf(Math.min(...distances));
    this.bonus = [titles[best] as string, genres[best] as string];
    this.next(this.join);
  }

  /** Keeps the genre's movies in its top quartile of gross, in random order. */
  @step genreMovies() {
    const stats = this.genreStats[this.genre.toLowerCase()];
    const top = stats ? stats.dataframe.movie_title.filter((_, i) => (stats.dataframe.gross[i] as number) >= stats.quartiles[2]) : [];
    this.movies = shuffle(top);
    this.next(this.join);
  }

  /** Joins the two branches. */
  @step join(inputs: Inputs<PlayListFlow>) {
    this.playlist = inputs.genreMovies.movies;
    this.bonus = inputs.bonusMovie.bonus;
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
