import { resolveUser, type Config } from './config';
import { PluginError } from './errors';
import type { CommandLine } from './plugins';

/** Whose runs a plugin's `list|kill` command is about; unset fields match every run. */
export interface RunSelection {
  flow?: string;
  runId?: string;
  user?: string;
}

/** `--my-runs`, `--user`, `--run-id` and `--flow`, worded for what the command lists (`jobs`, `Jobs`). */
export function runSelectionOptions(cli: CommandLine, noun: string): CommandLine {
  return cli
    .option('my-runs', { type: 'boolean', describe: `Only ${noun} of your runs` })
    .option('user', { type: 'string', describe: `Only ${noun} of this user's runs` })
    .option('run-id', { type: 'string', describe: `Only ${noun} of this run` })
    .option('flow', { type: 'string', describe: `Only ${noun} of this flow` });
}

/** The selection those options give; `--my-runs` is the user FlowKit runs as. */
export function runSelectionOf(args: Record<string, unknown>, config: Config): RunSelection {
  return {
    flow: args.flow as string | undefined,
    runId: args['run-id'] as string | undefined,
    user: args['my-runs'] ? resolveUser(config) : (args.user as string | undefined),
  };
}

/** The selection of a `kill` command, which must name a run or a user: killing everyone's by default is refused. */
export function killSelectionOf(args: Record<string, unknown>, config: Config, command: string, noun: string): RunSelection {
  const selection = runSelectionOf(args, config);
  if (selection.runId === undefined && selection.user === undefined) {
    throw new PluginError(`${command} needs to know whose ${noun} to stop.`, { hint: 'pass --my-runs, --run-id N or --user NAME' });
  }
  return selection;
}
