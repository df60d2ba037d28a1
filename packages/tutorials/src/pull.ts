import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { EPISODES_DIR, sharedFiles, type Episode } from './catalog';
import { TutorialError } from './errors';
import { moviesCsv } from './movies';

/** What pull did with one file: a new file, the same content already there, overwritten (--force), or left alone. */
export type FileAction = 'created' | 'unchanged' | 'refreshed' | 'kept';

export interface PulledFile {
  /** Relative to the target directory. */
  path: string;
  action: FileAction;
}

export interface PullReport {
  target: string;
  episodes: Array<{ episode: Episode; files: PulledFile[] }>;
  /** README.md, package.json and movies.csv at the top of the target. */
  shared: PulledFile[];
  movies: { rows: number; source: string };
  /** Whether pull made the `.flowkit/` every episode shares (runs of one episode are read by the next). */
  createdDatastore: boolean;
}

export interface PullOptions {
  target: string;
  episodes: Episode[];
  /** Overwrite files that differ from the shipped ones (local edits are lost). */
  force: boolean;
  sourceDir?: string;
}

/**
 * Copies episodes into `target`. A file that is already there with other content (the user's edits) is
 * kept unless `force`; the movie CSV is converted from the npm dataset on every pull, so it is refreshed
 * the same way.
 */
export function pullTutorials(options: PullOptions): PullReport {
  const { target, force } = options;
  const sourceDir = options.sourceDir ?? EPISODES_DIR;
  if (existsSync(target) && !statSync(target).isDirectory()) {
    throw new TutorialError(`${target} exists and is not a directory.`, { hint: 'move it away, or run the command from another directory' });
  }
  const copy = (path: string) => place(target, path, readFileSync(join(sourceDir, path)), force);
  const episodes = options.episodes.map((episode) => ({ episode, files: episode.files.map((file) => copy(`${episode.name}/${file}`)) }));
  const movies = moviesCsv();
  const shared = [...sharedFiles(sourceDir).map(copy), place(target, 'movies.csv', Buffer.from(movies.csv), force)];
  const datastore = join(target, '.flowkit');
  const createdDatastore = !existsSync(datastore);
  mkdirSync(datastore, { recursive: true });
  return { target, episodes, shared, movies: { rows: movies.rows, source: movies.source }, createdDatastore };
}

function place(target: string, path: string, content: Buffer, force: boolean): PulledFile {
  const destination = join(target, path);
  let action: FileAction = 'created';
  if (existsSync(destination)) {
    if (readFileSync(destination).equals(content)) return { path, action: 'unchanged' };
    if (!force) return { path, action: 'kept' };
    action = 'refreshed';
  }
  try {
    mkdirSync(dirname(destination), { recursive: true });
    writeFileSync(destination, content);
  } catch (error) {
    throw new TutorialError(`Cannot write ${destination}: ${(error as Error).message}`, { hint: 'check the permissions of the directory, or pull somewhere else', cause: error });
  }
  return { path, action };
}
