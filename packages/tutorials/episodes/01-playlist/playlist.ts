import { FlowSpec, IncludeFile, Parameter, step, type Inputs } from '@flowkit/core';
import * as aq from 'arquero';

/**
 * A flow to help you build your favorite movie playlist.
 *
 * 1) Reads a CSV file of movies (title, year, genre, box office).
 * 2) Keeps two of its columns as arrays.
 * 3) In parallel branches: A) keeps the movies of the genre parameter;
 *    B) picks a random movie of another genre.
 * 4) Shows the top of the playlist.
 */
export default class PlayListFlow extends FlowSpec {
  movieData = IncludeFile('movie_data', { help: 'The path to a movie metadata file', default: 'movies.csv' });
  genre = Parameter('genre', { help: 'Filter movies for a particular genre', default: 'Adventure' });
  recommendations = Parameter('recommendations', { help: 'The number of movies to recommend in the playlist', default: 5 });

  declare dataframe: { movie_title: string[]; genre: string[] };
  declare movies: string[];
  declare bonus: [title: string, genre: string];
  declare playlist: string[];

  /** Parses the CSV and keeps the movie titles and genres. */
  @step start() {
    const movies = aq.fromCSV(this.movieData, { parse: { movie_title: String } });
    this.dataframe = { movie_title: movies.array('movie_title') as string[], genre: movies.array('genre') as string[] };
    // Both branches run in parallel, each in its own process.
    this.next(this.bonusMovie, this.genreMovies);
  }

  /** Picks a random movie of another genre. */
  @step bonusMovie() {
    const { movie_title: titles, genre: genres } = this.dataframe;
    const others = titles.map((title, i) => [title, genres[i] as string] as [string, string]).filter(([, genre]) => !sameGenre(genre, this.genre));
    this.bonus = others[Math.floor(Math.random() * others.length)] as [string, string];
    this.next(this.join);
  }

  /** Keeps the movies of the requested genre, in random order. */
  @step genreMovies() {
    const { movie_title: titles, genre: genres } = this.dataframe;
    this.movies = shuffle(titles.filter((_, i) => sameGenre(genres[i] as string, this.genre)));
    this.next(this.join);
  }

  /** Joins the two branches: each input is one branch's artifacts, by step name. */
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

function sameGenre(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
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
