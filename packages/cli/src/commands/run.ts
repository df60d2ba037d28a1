import { writeFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import { openBackends, parameterValues, printable } from '@flowkit/core/internal';
import { ParameterError, resolveUser, validateId, validateTags, type Config, type PreparedFlow, type ParameterDefinition } from '@flowkit/core/plugin';
import { JsonLinesSidecar, RunConsole, parseWithSpec, runFlow, type Scheduler } from '@flowkit/runtime';
import { backendOptions, checkOutputFile, positiveInteger } from '../usage';
import { VERSION } from '../version';

/** Options of `run` that a parameter may not shadow. */
const RUN_OPTIONS = ['tag', 'max-workers', 'max-num-splits', 'with', 'package-suffixes', 'environment', 'environment-from', 'event-logger', 'monitor', 'quiet', 'color', 'run-id-file', 'events', 'debug', 'help', 'version', ...Object.keys(backendOptions)];

/** Packaged files named one by one when a run starts; past this many, a count. */
const FILES_SHOWN = 20;

export interface RunArgs {
  tag?: string[];
  'max-workers': number;
  'max-num-splits': number;
  with?: string[];
  'package-suffixes'?: string;
  environment?: string;
  'environment-from'?: string;
  'event-logger'?: string[];
  monitor?: string[];
  quiet: boolean;
  color: boolean;
  'run-id-file'?: string;
  events?: string;
  datastore?: string;
  'datastore-root'?: string;
  metadata?: string;
  /** `resume` only. */
  'origin-run-id'?: string;
  step?: string;
  [parameter: string]: unknown;
}

/** Adds `run`'s options to a yargs command, and (for `run`, not `resume`) one option per flow parameter. */
export function runOptions(cli: Argv, flow: PreparedFlow | undefined, withParameters: boolean): Argv<RunArgs> {
  const withOptions = cli
    .option('tag', { type: 'string', array: true, describe: 'Tag the run (repeatable)' })
    .option('max-workers', { requiresArg: true, default: 16, describe: 'Tasks running at once' })
    .option('max-num-splits', { requiresArg: true, default: 100, describe: 'Most tasks one foreach may start' })
    .option('with', { type: 'string', array: true, describe: 'Add a decorator to every step: --with retry, --with timeout:seconds=60' })
    .option('package-suffixes', {
      type: 'string',
      describe: "Ship the flow directory's files with these suffixes in the code package (--package-suffixes .csv,.json): remote tasks find them in their working directory; the run lists them",
    })
    .option('environment', {
      type: 'string',
      describe: 'Give each step its own packages, built by this environment manager (--environment packages: @packages and @packagesBase)',
    })
    .option('environment-from', {
      type: 'string',
      describe: 'Install the environments a run of this flow stored, for the steps that ask for the same packages (a run id)',
    })
    .option('event-logger', { type: 'string', array: true, describe: 'Send the run\'s events to this event logger plugin (repeatable; default: FLOWKIT_EVENT_LOGGER)' })
    .option('monitor', { type: 'string', array: true, describe: 'Send the run\'s events to this monitor plugin, e.g. opentelemetry (repeatable; default: FLOWKIT_MONITOR)' })
    .option('run-id-file', { type: 'string', describe: 'Write the run id to this file once it is known' })
    .option('events', { type: 'string', describe: 'Append the run\'s events to this file, one JSON object per line (schema in the README)' })
    .options(backendOptions);
  for (const [field, definition] of withParameters ? (flow?.parameters ?? []) : []) {
    if (RUN_OPTIONS.includes(definition.name)) {
      throw new ParameterError(`Parameter '${definition.name}' (field ${field}) clashes with the run option --${definition.name}.`, { hint: 'rename the parameter' });
    }
    // Untyped: the value arrives as typed (the parser keeps numbers as text) and the parameter's own type converts it.
    withOptions.option(definition.name, {
      group: 'Parameters:',
      describe: describeParameter(definition),
    });
  }
  return withOptions as unknown as Argv<RunArgs>;
}

/** What `--package-suffixes` put in the code package, as the run shows it. */
function packagedFiles(paths: string[]): string {
  if (paths.length === 0) return 'Code package: no file of the flow\'s directory has one of the --package-suffixes; only the bundle goes.';
  const more = paths.length > FILES_SHOWN ? ` and ${paths.length - FILES_SHOWN} more` : '';
  return `Code package: the bundle and ${paths.length} file${paths.length === 1 ? '' : 's'} by suffix: ${paths.slice(0, FILES_SHOWN).join(', ')}${more}.`;
}

function describeParameter(definition: ParameterDefinition): string {
  const shown = typeof definition.default === 'function' ? '(computed)' : JSON.stringify(definition.default);
  const parts = [definition.help ?? '', definition.include ? '[file or URL, stored as an artifact]' : `[${definition.type}]`];
  if (definition.required) parts.push('[required]');
  else if (definition.default !== undefined) parts.push(`[default: ${shown}]`);
  return parts.filter(Boolean).join(' ');
}

/** `flowkit run` (and `resume`): one new run of the flow; returns the exit code (130 when interrupted). */
export async function runCommand(flow: PreparedFlow, args: RunArgs, config: Config, resume: boolean): Promise<number> {
  const maxWorkers = positiveInteger('max-workers', args['max-workers']);
  const maxNumSplits = positiveInteger('max-num-splits', args['max-num-splits']);
  const tags = validateTags(args.tag ?? []);
  if (args['run-id-file'] !== undefined) checkOutputFile('run-id-file', args['run-id-file']);
  if (args.events !== undefined) checkOutputFile('events', args.events);
  const withSpecs = (args.with ?? []).map(parseWithSpec);
  const user = resolveUser(config);
  const parameters = resume ? new Map<string, unknown>() : parameterValues(flow.parameters, args, { flowName: flow.graph.flowName, userName: user });
  const backends = openBackends(args, config, flow.flowDir);
  const console = new RunConsole({ quiet: args.quiet, color: args.color, live: process.stdout.isTTY === true });
  console.info(`FlowKit ${VERSION} executing ${flow.graph.flowName} for user:${user}`);
  console.info('Validating your flow...\n    The graph looks good!');
  if (flow.codePackage.files) console.info(packagedFiles(flow.codePackage.files.map((file) => printable(file.path))));

  let scheduler: Scheduler | undefined;
  let interrupted = false;
  // Before the run is recorded there are no tasks to stop, only reads (IncludeFile) to abort.
  const beforeRun = new AbortController();
  const onInterrupt = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    console.error('Interrupted: stopping the tasks (Ctrl-C again to quit at once)...');
    if (scheduler) scheduler.stop('interrupted');
    else beforeRun.abort();
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  try {
    const result = await runFlow({
      ...backends,
      signal: beforeRun.signal,
      sidecars: args.events === undefined ? [] : [new JsonLinesSidecar(args.events)],
      graph: flow.graph,
      codePackage: flow.codePackage,
      flowClass: flow.flowClass,
      parameters,
      config,
      user,
      tags,
      maxWorkers,
      maxNumSplits,
      withSpecs,
      console,
      cwd: process.cwd(),
      version: VERSION,
      environment: flow.environment,
      eventLoggers: args['event-logger'],
      monitors: args.monitor,
      environmentFrom: args['environment-from'] === undefined ? undefined : validateId('run', String(args['environment-from'])),
      resume: resume ? { originRunId: args['origin-run-id'], step: args.step } : undefined,
      onRunStarted(runId, started) {
        scheduler = started;
        if (interrupted) started.stop('interrupted');
        if (args['run-id-file']) writeFileSync(args['run-id-file'], runId);
      },
    });
    const resumeCommand = `flowkit resume ${flow.file} --origin-run-id ${result.runId}`;
    if (interrupted) {
      console.error(`Run ${flow.graph.flowName}/${result.runId} stopped. To go on from where it stopped: ${resumeCommand}`);
      return 130;
    }
    if (!result.succeeded) {
      console.error(`Run ${flow.graph.flowName}/${result.runId} failed: ${result.failure ?? 'unknown cause'}.`);
      console.error(`Fix the problem, then resume the run: ${resumeCommand}`);
      return 1;
    }
    return 0;
  } catch (error) {
    if (beforeRun.signal.aborted) return 130;
    throw error;
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
  }
}
