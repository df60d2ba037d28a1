import yargs, { type Argv } from 'yargs';
import { FlowKitError, formatError, loadConfig, type Config } from '@flowkit/core';
import { checkCommand, showCommand, type ShowFormat } from './commands/inspect';
import { runCommand, runOptions, type RunArgs } from './commands/run';
import { prepareFlow, type PreparedFlow } from './flow';
import { UsageError } from './usage';
import { VERSION } from './version';

/** Commands that load the flow before parsing, because its parameters become options. */
const FLOW_LOADING_COMMANDS = new Set(['run', 'resume']);

/** Runs the `flowkit` command line; resolves to the exit code. */
export async function cliMain(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  try {
    const config = loadConfig();
    const flow = FLOW_LOADING_COMMANDS.has(argv[0] ?? '') && argv[1] && !argv[1].startsWith('-') ? await prepareFlow(argv[1], config) : undefined;
    let exitCode = 0;
    const done = (code: number) => {
      exitCode = code;
    };
    await buildCli(argv, config, flow, done).parseAsync();
    return exitCode;
  } catch (error) {
    process.stderr.write(`${formatError(error)}\n`);
    if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    else if (!(error instanceof FlowKitError)) process.stderr.write('(run again with --debug for the stack trace)\n');
    return 1;
  }
}

/** What `main(MyFlow)` at the end of a flow file calls: `node flow.js run ...` is `flowkit run flow.js ...`. */
export function runFlowFile(file: string, args: string[]): Promise<number> {
  const [command = 'run', ...rest] = args;
  return cliMain([command, file, ...rest]);
}

function buildCli(argv: string[], config: Config, flow: PreparedFlow | undefined, done: (code: number) => void): Argv {
  return yargs(argv)
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
      (args) => done(showCommand(args.flow as string, args.format as ShowFormat)),
    )
    .command(
      'check <flow>',
      'Lint the flow (and type-check it when it has a tsconfig.json)',
      (cli) => cli.positional('flow', { type: 'string', demandOption: true }),
      (args) => done(checkCommand(args.flow as string)),
    )
    .option('debug', { type: 'boolean', default: false, describe: 'Show stack traces of FlowKit errors' })
    .demandCommand(1, 'Name a command: flowkit <command> --help tells more.')
    .recommendCommands()
    .strict()
    .version(VERSION)
    .help()
    .wrap(Math.min(120, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new UsageError(message, { hint: `see flowkit ${argv[0] && !argv[0].startsWith('-') ? `${argv[0]} ` : ''}--help` });
    });
}
