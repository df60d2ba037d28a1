import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TutorialError } from './errors';

/** Where the episodes ship: beside `dist/` in this package. */
export const EPISODES_DIR = join(__dirname, '..', 'episodes');

export interface Episode {
  /** Two digits, `00` to `07`. */
  number: string;
  /** The directory name, e.g. `02-statistics`. */
  name: string;
  /** The README's first heading, without `#`. */
  title: string;
  /** The README, as shipped. */
  readme: string;
  /** Files of the episode, relative to its directory. */
  files: string[];
}

/** Every episode shipped with this package, in order; their READMEs are the single source of titles. */
export function listEpisodes(dir = EPISODES_DIR): Episode[] {
  return readdirSync(dir)
    .filter((name) => /^\d\d-/.test(name) && statSync(join(dir, name)).isDirectory())
    .sort()
    .map((name) => {
      const readmePath = join(dir, name, 'README.md');
      const readme = existsSync(readmePath) ? readFileSync(readmePath, 'utf8') : '';
      return { number: name.slice(0, 2), name, title: /^# (.+)$/m.exec(readme)?.[1] ?? name, readme, files: filesBelow(join(dir, name)) };
    });
}

/** The files directly shipped beside the episodes (README, package.json): pulled with any episode. */
export function sharedFiles(dir = EPISODES_DIR): string[] {
  return readdirSync(dir).filter((name) => statSync(join(dir, name)).isFile());
}

/**
 * The episode a user named: `2`, `02`, `02-statistics` or `statistics`. Anything else is an error
 * that lists what exists.
 */
export function findEpisode(episodes: Episode[], value: string): Episode {
  const wanted = value.trim().toLowerCase();
  const found = /^\d{1,2}$/.test(wanted)
    ? episodes.find((e) => Number(e.number) === Number(wanted))
    : episodes.find((e) => e.name === wanted || e.name.slice(3) === wanted);
  if (!found) {
    const first = episodes[0]?.number ?? '00';
    const last = episodes[episodes.length - 1]?.number ?? '00';
    throw new TutorialError(`Unknown episode '${value}': episodes are ${first} to ${last}.`, {
      hint: `give a number or a name, e.g. --episode 2 or --episode 02-statistics; \`flowkit tutorials list\` shows them all`,
    });
  }
  return found;
}

function filesBelow(dir: string, prefix = ''): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => (statSync(join(dir, name)).isDirectory() ? filesBelow(join(dir, name), `${prefix}${name}/`) : [`${prefix}${name}`]));
}
