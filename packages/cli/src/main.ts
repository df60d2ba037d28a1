import yargs, { type Argv } from 'yargs';
import { errorType, formatError, warnOfUnknownDebugTopics } from '@flowkit/core/internal';
import { FlowKitError, integer, loadConfig, networkFailure, numberOption, registry, type CliContext, type CommandLine, type Config, type PreparedFlow } from '@flowkit/core/plugin';
import { checkCommand, showCommand, type ShowFormat } from './commands/inspect';
import { runCommand, runOptions, type RunArgs } from './commands/run';
import { dumpCommand, listRunsCommand, logsCommand, statusCommand, tagCommand, type ReadOptions } from './commands/read';
import { loadPlugins, prepareFlow, type RunChoices } from './flow';
import { dropOutputOnceClosed } from './output';
import { UsageError, backendOptions, readOptions } from './usage';
import { VERSION } from './version';

/** Commands that load the flow before parsing, because its parameters become options. */
const FLOW_LOADING_COMMANDS = new Set(['run', 'resume']);

/** Runs the `flowkit` command line; resolves to the exit code. */
export async function cliMain(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  dropOutputOnceClosed();
  try {
    const config = loadConfig();
    warnOfUnknownDebugTopics();
    const flow = FLOW_LOADING_COMMANDS.has(argv[0] ?? '') && argv[1] && !argv[1].startsWith('-') ? await prepareFlow(argv[1], config, runChoices(argv)) : undefined;
    // Plugins may add commands (`metadata-service start`), so they load before the command line is parsed.
    if (!flow) loadPlugins(process.cwd(), config);
    let exitCode = 0;
    const done = (code: number) => {
      exitCode = code;
    };
    await buildCli(argv, config, flow, done).parseAsync();
    return exitCode;
  } catch (error) {
    process.stderr.write(`${errorReport(error, debug)}\n`);
    return 1;
  }
}

/** For a network failure that no plugin explained: where the endpoints a command reaches are set. */
const NETWORK_HINT = 'a server could not be reached: check the endpoint it names (the FLOWKIT_*_ENDPOINT_URL settings, FLOWKIT_SERVICE_URL, KUBECONFIG) and the network, then try again';

/** An error as one line and its hint; the stack (with its cause's) only with --debug. */
function errorReport(error: unknown, debug: boolean): string {
  if (!(error instanceof Error)) return String(error);
  if (!debug && error instanceof FlowKitError) return formatError(error);
  if (!debug && networkFailure(error)) return `${errorType(error)}: ${error.message}\n  hint: ${NETWORK_HINT}`;
  if (!debug) return `${errorType(error)}: ${error.message}\n(run again with --debug for the stack trace)`;
  const cause = error.cause instanceof Error ? `\ncaused by ${formatError(error.cause)}` : '';
  return `${formatError(error)}${error instanceof FlowKitError && error.stack ? `\n${error.stack}` : ''}${cause}`;
}

/** What `main(MyFlow)` at the end of a flow file calls: `node flow.js run ...` is `flowkit run flow.js ...`. */
export function runFlowFile(file: string, args: string[]): Promise<number> {
  const [command = 'run', ...rest] = args;
  return cliMain([command, file, ...rest]);
}

/** Colour on a terminal, unless NO_COLOR is set to anything but the empty string (no-color.org). */
function colorByDefault(): boolean {
  return process.stdout.isTTY === true && !process.env.NO_COLOR;
}

/** The options that choose a run's plugins, read before the flow's parameters become options of their own. */
function runChoices(argv: string[]): RunChoices {
  const choices = { ...backendOptions, with: { type: 'string', array: true }, 'package-suffixes': { type: 'string' }, environment: { type: 'string' } } as const;
  const { datastore, metadata, with: withSpecs, packageSuffixes, environment } = yargs(argv).options(choices).help(false).version(false).parseSync();
  // Given twice, yargs makes a list: every suffix counts.
  return { datastore, metadata, with: withSpecs, packageSuffixes: packageSuffixes === undefined ? undefined : [packageSuffixes].flat().join(','), environment };
}

function readArgs(args: Record<string, unknown>): ReadOptions & { include?: string; file?: string; stderr?: boolean; attempt?: number } {
  return {
    datastore: args.datastore as string | undefined,
    datastoreRoot: args['datastore-root'] as string | undefined,
    metadata: args.metadata as string | undefined,
    namespace: args.namespace as string | undefined,
    include: args.include as string | undefined,
    file: args.file as string | undefined,
    stderr: args.stderr as boolean | undefined,
    attempt: numberOption('attempt', args.attempt, integer(0, Number.MAX_SAFE_INTEGER), 'an attempt number from 0', 0),
  };
}

function buildCli(argv: string[], config: Config, flow: PreparedFlow | undefined, done: (code: number) => void): Argv {
  const cli = yargs(argv);
  const context: CliContext = { config, prepareFlow: (file, choices) => prepareFlow(file, config, choices) };
  for (const extension of registry.cliExtensions()) extension.register(cli as unknown as CommandLine, context);
  return cli
    .scriptName('flowkit')
    .usage('$0 <command> <flow file> [options]\n\nRun and inspect FlowKit flows.')
    .command(
      'run <flow>',
      'Run the flow: every task in its own process, every artifact versioned',
      (cli) => runOptions(cli.positional('flow', { type: 'string', describe: 'The flow file (.ts or .js)' }), flow, true),
      async (args) => done(await runCommand(flow as PreparedFlow, args as unknown as RunArgs, config, false)),
    )
    .command(
      'resume <flow> [step]',
      'Resume a failed or stopped run in a new run: finished tasks are cloned, the rest runs',
      (cli) =>
        runOptions(
          cli
            .positional('flow', { type: 'string', describe: 'The flow file (.ts or .js)' })
            .positional('step', { type: 'string', describe: 'Re-run from this step (default: the first that did not finish)' })
            .option('origin-run-id', { type: 'string', describe: "The run to resume (default: your latest run of the flow)" }),
          flow,
          false,
        ),
      async (args) => done(await runCommand(flow as PreparedFlow, args as unknown as RunArgs, config, true)),
    )
    .command(
      'show <flow>',
      "Show the flow's steps, their docs and transitions",
      (cli) =>
        cli
          .positional('flow', { type: 'string', demandOption: true })
          .option('format', { choices: ['text', 'mermaid', 'dot', 'json'] as const, default: 'text' as const, describe: 'Output format' }),
      async (args) => done(await showCommand(args.flow as string, args.format as ShowFormat)),
    )
    .command(
      'check <flow>',
      'Lint the flow (and type-check it when it has a tsconfig.json)',
      (cli) => cli.positional('flow', { type: 'string', demandOption: true }),
      async (args) => done(await checkCommand(args.flow as string)),
    )
    .command(
      'dump <flow> <pathspec>',
      "Show a run's artifacts: RUN, RUN/STEP or RUN/STEP/TASK",
      (cli) =>
        cli
          .positional('flow', { type: 'string', demandOption: true, describe: 'Flow file or flow name' })
          .positional('pathspec', { type: 'string', demandOption: true })
          .option('include', { type: 'string', describe: 'Only these artifacts (comma-separated)' })
          .option('file', { type: 'string', describe: 'Also write every value to this JSON file' })
          .options(readOptions),
      async (args) => done(await dumpCommand(args.flow as string, args.pathspec as string, readArgs(args))),
    )
    .command(
      'logs <flow> <pathspec>',
      'Show what tasks printed: RUN, RUN/STEP or RUN/STEP/TASK',
      (cli) =>
        cli
          .positional('flow', { type: 'string', demandOption: true, describe: 'Flow file or flow name' })
          .positional('pathspec', { type: 'string', demandOption: true })
          .option('stderr', { type: 'boolean', default: false, describe: 'Show stderr instead of stdout' })
          .option('attempt', { requiresArg: true, describe: 'Show this attempt instead of the latest (0 is the first)' })
          .options(readOptions),
      async (args) => done(await logsCommand(args.flow as string, args.pathspec as string, readArgs(args))),
    )
    .command(
      'tag <action> <flow> [tags..]',
      "Change a run's user tags: add, remove, replace (--remove a --add b) or list",
      (cli) =>
        cli
          .positional('action', { choices: ['add', 'remove', 'replace', 'list'] as const, demandOption: true })
          .positional('flow', { type: 'string', demandOption: true, describe: 'Flow file or flow name' })
          .positional('tags', { type: 'string', array: true, default: [] as string[] })
          .option('run-id', { type: 'string', describe: 'The run (default: your latest)' })
          .option('remove', { type: 'string', array: true, describe: 'replace: tags to remove' })
          .option('add', { type: 'string', array: true, describe: 'replace: tags to add' })
          .options(readOptions),
      async (args) => done(await tagCommand(args.action as string, args.flow as string, { ...readArgs(args), runId: args['run-id'] as string | undefined, tags: (args.tags as string[]).map(String), remove: args.remove as string[] | undefined, add: args.add as string[] | undefined })),
    )
    .command(
      'status [flow]',
      'Flows with their latest run and its state',
      (cli) => cli.positional('flow', { type: 'string', describe: 'Flow file or flow name (default: every flow here)' }).options(readOptions),
      async (args) => done(await statusCommand({ ...readArgs(args), flow: args.flow as string | undefined })),
    )
    .command(
      'list <what> [flow]',
      'List flows, or the runs of one flow',
      (cli) =>
        cli
          .positional('what', { choices: ['flows', 'runs'] as const, demandOption: true })
          .positional('flow', { type: 'string', describe: 'For runs: flow file or flow name' })
          .options(readOptions),
      async (args) => {
        if (args.what === 'flows') return done(await statusCommand(readArgs(args)));
        if (!args.flow) throw new UsageError('list runs needs a flow.', { hint: 'flowkit list runs flow.ts' });
        return done(await listRunsCommand(args.flow as string, readArgs(args)));
      },
    )
    .option('quiet', { type: 'boolean', default: false, describe: "Hide FlowKit's own messages" })
    .option('color', { type: 'boolean', default: colorByDefault(), describe: 'Colour the output (--no-color or NO_COLOR=1 to turn off)' })
    .option('debug', { type: 'boolean', default: false, describe: 'Show stack traces of FlowKit errors' })
    .completion('completion', 'Print a bash/zsh completion script: flowkit completion >> ~/.bashrc')
    .demandCommand(1, 'Name a command: flowkit <command> --help tells more.')
    .recommendCommands()
    .strict()
    // Values stay as typed (`--param 007`); each option or parameter converts and checks its own.
    .parserConfiguration({ 'parse-numbers': false, 'parse-positional-numbers': false })
    .version(VERSION)
    .alias('v', 'version')
    .help()
    .alias('h', 'help')
    .wrap(Math.min(120, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((message, error) => {
      // An unknown command may be one an unloadable plugin package would add.
      const note = registry.unloadableNote();
      throw error ?? new UsageError(note ? `${message}.${note}` : message, { hint: `see flowkit ${argv[0] && !argv[0].startsWith('-') ? `${argv[0]} ` : ''}--help` });
    });
}
