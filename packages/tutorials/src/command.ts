import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import type { CliExtension } from '@flowkit/core/plugin';
import { findEpisode, listEpisodes, type Episode } from './catalog';
import { pullTutorials, type FileAction, type PullReport } from './pull';

/** Where `pull` puts the episodes, relative to the working directory. */
export const TARGET_DIR = 'flowkit-tutorials';

/** `flowkit tutorials pull|list|info`. */
export const tutorialsCommand: CliExtension = {
  name: 'tutorials',
  register(cli) {
    (cli as Argv).command('tutorials', "FlowKit's tutorial episodes 00-07: pull them, list them, read about one", (tutorials) =>
      tutorials
        .command(
          'pull',
          `Copy the episodes and the movie data into ./${TARGET_DIR} (files you changed are kept unless --force)`,
          (pull) =>
            pull
              .option('episode', { type: 'string', array: true, describe: 'Only this episode (a number or a name; repeatable)' })
              .option('force', { type: 'boolean', default: false, describe: 'Overwrite files that differ from the shipped episodes' }),
          (args) => pull(args.episode, args.force),
        )
        .command('list', 'List the episodes', {}, () => list())
        .command(
          'info <episode>',
          "Show an episode's README and files",
          (info) => info.positional('episode', { type: 'string', demandOption: true, describe: 'A number or a name, e.g. 2 or 02-statistics' }),
          (args) => info(args.episode),
        )
        .demandCommand(1, 'Name a tutorials command: pull, list or info.'),
    );
  },
};

function pull(wanted: string[] | undefined, force: boolean): void {
  const all = listEpisodes();
  const episodes = wanted && wanted.length > 0 ? unique(wanted.map((value) => findEpisode(all, value))) : all;
  const report = pullTutorials({ target: resolve(TARGET_DIR), episodes, force });
  process.stdout.write(formatReport(report));
}

function list(): void {
  const episodes = listEpisodes();
  const width = Math.max(...episodes.map((e) => e.name.length));
  for (const episode of episodes) process.stdout.write(`${episode.name.padEnd(width)}  ${subtitle(episode)}\n`);
  process.stdout.write(`\nflowkit tutorials pull copies them into ./${TARGET_DIR}; flowkit tutorials info N tells more about one.\n`);
}

function info(value: string): void {
  const episode = findEpisode(listEpisodes(), value);
  process.stdout.write(`${episode.readme.trimEnd()}\n\nFiles: ${episode.files.map((f) => `${episode.name}/${f}`).join(', ')}\n`);
  process.stdout.write(`Get it with: flowkit tutorials pull --episode ${episode.number}\n`);
}

function subtitle(episode: Episode): string {
  return episode.title.replace(/^Episode [^:]+:\s*/, '');
}

function unique(episodes: Episode[]): Episode[] {
  return [...new Map(episodes.map((e) => [e.name, e])).values()];
}

function formatReport(report: PullReport): string {
  const lines = [`Pulled into ${report.target}:`];
  const kept: string[] = [];
  for (const { episode, files } of report.episodes) {
    lines.push(`  ${episode.name}: ${summary(files.map((f) => f.action))}`);
    kept.push(...files.filter((f) => f.action === 'kept').map((f) => f.path));
  }
  const shared = report.shared.map((f) => `${f.path} ${f.action}`).join(', ');
  lines.push(`  shared: ${shared}; movies.csv holds ${report.movies.rows} movies from ${report.movies.source}`);
  kept.push(...report.shared.filter((f) => f.action === 'kept').map((f) => f.path));
  if (report.createdDatastore) lines.push(`  ${TARGET_DIR}/.flowkit/ created: every episode records its runs there, so later episodes read earlier ones`);
  if (kept.length > 0) lines.push(`Kept ${kept.length} file${kept.length === 1 ? '' : 's'} you changed: ${kept.join(', ')} (--force overwrites them)`);
  const first = report.episodes[0]?.episode;
  if (first) lines.push(`Next: cd ${TARGET_DIR} and follow ${first.name}/README.md`);
  return `${lines.join('\n')}\n`;
}

function summary(actions: FileAction[]): string {
  const order: FileAction[] = ['created', 'refreshed', 'unchanged', 'kept'];
  return order
    .map((action) => [action, actions.filter((a) => a === action).length] as const)
    .filter(([, count]) => count > 0)
    .map(([action, count]) => `${count} ${action}`)
    .join(', ');
}
