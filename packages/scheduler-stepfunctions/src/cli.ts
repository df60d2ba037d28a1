import { randomUUID } from 'node:crypto';
import { statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { PluginError, integer, numberOption, validateTags, type CliContext, type CliExtension, type CommandLine, type Config } from '@flowkit/core/plugin';
import { deployedStateMachine, findStateMachine, requireCredentials, stateMachineName, withSfn } from './client';
import { compileFlow } from './deploy';
import { applySchedule, deleteSchedule, flowSchedule, scheduleRole } from './eventbridge';
import { includeFiles } from './includedFiles';
import { givenParameters } from './parameters';
import { STATUSES, listExecutions, terminateRun } from './runs';
import { sfnSdk } from './sdk';
import { StepFunctionsSettings } from './settings';

/** Options of every flowkit command, never a flow parameter. */
const CLI_OPTIONS = ['quiet', 'color', 'debug'];
const CREATE_OPTIONS = [...CLI_OPTIONS, 'only-json', 'max-workers', 'max-num-splits', 'workflow-timeout', 'tag', 'datastore', 'metadata', 'package-suffixes'];

/** Every step runs on AWS Batch: `@batch` where written, its defaults elsewhere. */
const prepare = (context: CliContext, args: Record<string, unknown>) =>
  context.prepareFlow(args.flow as string, {
    with: ['batch'],
    datastore: args.datastore as string | undefined,
    metadata: args.metadata as string | undefined,
    packageSuffixes: args['package-suffixes'] === undefined ? undefined : [args['package-suffixes']].flat().join(','),
  });

function positive(args: Record<string, unknown>, name: string): number | undefined {
  return numberOption(name, args[name], integer(1, Number.MAX_SAFE_INTEGER), 'a whole number from 1', 16);
}

/** A Map's items come from States.ArrayRange, which makes at most 1,000. */
function maxNumSplits(args: Record<string, unknown>): number {
  const splits = positive(args, 'max-num-splits') ?? 100;
  if (splits > 1000) throw new PluginError(`--max-num-splits ${splits} is more than a Step Functions Map of this kind can take (1000).`, { hint: 'split a wider foreach in two nested ones' });
  return splits;
}

async function create(context: CliContext, args: Record<string, unknown>): Promise<void> {
  const flow = await prepare(context, args);
  const onlyJson = args['only-json'] === true;
  const flowName = flow.graph.flowName;
  const name = stateMachineName(context.config, flowName);
  // Everything create can refuse is refused before it uploads, registers or deploys anything.
  const schedule = flowSchedule(flow, name);
  const roles = onlyJson ? undefined : await deployRoles(context.config, flowName, schedule !== undefined);
  const definition = await compileFlow(flow, context.config, {
    onlyJson,
    backends: { datastore: args.datastore as string | undefined, metadata: args.metadata as string | undefined },
    maxWorkers: positive(args, 'max-workers'),
    maxNumSplits: maxNumSplits(args),
    workflowTimeoutSeconds: positive(args, 'workflow-timeout'),
    tags: validateTags(((args.tag as string[] | undefined) ?? []).map(String)),
    parameters: givenParameters(flow, args, CREATE_OPTIONS),
  });
  if (onlyJson || !roles) {
    process.stdout.write(`${JSON.stringify(definition, null, 2)}\n`);
    return;
  }
  const arn = await withSfn(context.config, async (client) => {
    const existing = await findStateMachine(client, name);
    const body = JSON.stringify(definition);
    if (existing) {
      await client.send(new (sfnSdk().UpdateStateMachineCommand)({ stateMachineArn: existing, definition: body, roleArn: roles.stateMachine }));
      return existing;
    }
    return (await client.send(new (sfnSdk().CreateStateMachineCommand)({ name, definition: body, roleArn: roles.stateMachine, type: 'STANDARD' }))).stateMachineArn as string;
  });
  process.stdout.write(`State machine ${name} for ${flowName} is deployed: ${arn}\n`);
  const wanted = schedule && roles.schedule ? { schedule, target: { stateMachineArn: arn, roleArn: roles.schedule } } : undefined;
  const done = await applySchedule(context.config, name, wanted);
  if (done) process.stdout.write(`${done}\n`);
}

/** The roles a deployment needs (the schedule's only with `@schedule`), and credentials to deploy with. */
async function deployRoles(config: Config, flowName: string, scheduled: boolean): Promise<{ stateMachine: string; schedule?: string }> {
  const stateMachine = config.get(StepFunctionsSettings.role);
  if (!stateMachine) throw new PluginError('Step Functions needs the IAM role its state machine runs as.', { hint: `set ${StepFunctionsSettings.role}=arn:aws:iam::<account>:role/<role>` });
  const schedule = scheduled ? scheduleRole(config, flowName) : undefined;
  await requireCredentials(config, flowName);
  return { stateMachine, schedule };
}

async function trigger(context: CliContext, args: Record<string, unknown>): Promise<void> {
  const flow = await prepare(context, args);
  const given = givenParameters(flow, args, [...CLI_OPTIONS, 'run-id-file']);
  const runIdFile = args['run-id-file'] as string | undefined;
  if (runIdFile !== undefined && !statSync(dirname(resolve(runIdFile)), { throwIfNoEntry: false })?.isDirectory()) {
    throw new PluginError(`--run-id-file ${runIdFile}: its directory does not exist.`, { hint: 'give --run-id-file a file in an existing directory' });
  }
  const parameters = await includeFiles(flow, given, context.config, {}, false);
  const executionName = randomUUID();
  await withSfn(context.config, async (client) => {
    const stateMachineArn = await deployedStateMachine(client, stateMachineName(context.config, flow.graph.flowName));
    const started = await client.send(new (sfnSdk().StartExecutionCommand)({ stateMachineArn, name: executionName, input: JSON.stringify({ parameters }) }));
    process.stdout.write(`Run sfn-${executionName} of ${flow.graph.flowName} started: ${started.executionArn}\n`);
  });
  if (runIdFile !== undefined) writeFileSync(runIdFile, `sfn-${executionName}`);
}

async function listRuns(context: CliContext, args: Record<string, unknown>): Promise<void> {
  await listExecutions(await prepare(context, args), context.config, Object.keys(STATUSES).filter((status) => args[status] === true));
}

async function terminate(context: CliContext, args: Record<string, unknown>): Promise<void> {
  await terminateRun(await prepare(context, args), context.config, String(args['run-id']), String(args.flow));
}

async function remove(context: CliContext, args: Record<string, unknown>): Promise<void> {
  const flow = await prepare(context, args);
  const name = stateMachineName(context.config, flow.graph.flowName);
  await withSfn(context.config, async (client) => {
    const stateMachineArn = await deployedStateMachine(client, name);
    // The schedule first, so it never starts a state machine that is gone.
    const unscheduled = await deleteSchedule(context.config, name);
    await client.send(new (sfnSdk().DeleteStateMachineCommand)({ stateMachineArn }));
    process.stdout.write(`State machine ${name} is deleted; runs already started keep their records.\n${unscheduled ? `${unscheduled}\n` : ''}`);
  });
}

const flowArgument = (cli: CommandLine) => cli.positional('flow', { type: 'string', describe: 'The flow file', demandOption: true });

export function stepFunctionsCli(): CliExtension {
  return {
    name: 'step-functions',
    register(cli, context) {
      const run = (command: (context: CliContext, args: Record<string, unknown>) => Promise<void>) => (args: Record<string, unknown>) => command(context, args);
      cli.command('step-functions', 'Run flows on AWS Step Functions, with every step an AWS Batch job', (sfn) =>
        sfn
          .command(
            'create <flow>',
            'Deploy the flow as a state machine (its parameters as options fix their values)',
            (c) =>
              flowArgument(c)
                .option('only-json', { type: 'boolean', describe: 'Print the state machine definition; deploy nothing' })
                .option('max-workers', { requiresArg: true, describe: 'Tasks of one foreach running at once (the Map state\'s MaxConcurrency)' })
                .option('max-num-splits', { requiresArg: true, describe: 'Most tasks one foreach may start (default 100)' })
                .option('workflow-timeout', { requiresArg: true, describe: 'Seconds a run may take' })
                .option('tag', { type: 'string', array: true, describe: 'Tag every run (repeatable)' })
                .option('datastore', { type: 'string', describe: 'Where runs store artifacts (s3)' })
                .option('metadata', { type: 'string', describe: 'Where runs are recorded (service)' })
                .option('package-suffixes', { type: 'string', describe: "Ship the flow directory's files with these suffixes in the code package (.csv,.json)" })
                .strict(false),
            run(create),
          )
          .command(
            'trigger <flow>',
            'Start a run of the deployed flow (parameters as options)',
            (c) => flowArgument(c).option('run-id-file', { type: 'string', describe: 'Write the run id to this file once it started' }).strict(false),
            run(trigger),
          )
          .command(
            'list-runs <flow>',
            "List the deployed flow's runs, newest first",
            (c) =>
              flowArgument(c)
                .option('running', { type: 'boolean', describe: 'Only running runs' })
                .option('succeeded', { type: 'boolean', describe: 'Only succeeded runs' })
                .option('failed', { type: 'boolean', describe: 'Only failed runs (timed out and stopped ones too)' }),
            run(listRuns),
          )
          .command(
            'terminate <flow> <run-id>',
            'Stop a running run (its jobs are terminated) and record it failed',
            (c) => flowArgument(c).positional('run-id', { type: 'string', describe: 'The run (sfn-...)', demandOption: true }),
            run(terminate),
          )
          .command('delete <flow>', "Delete the flow's state machine", flowArgument, run(remove))
          .demandCommand(1, 'Say what to do: flowkit step-functions create|trigger|list-runs|terminate|delete'),
      );
    },
  };
}
