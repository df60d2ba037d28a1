import { ConfigError, PathspecError, type FlowSpec } from '@flowkit/core';
import { parametersOf, readIncludedFiles } from '@flowkit/core/internal';
import {
  FlowDataStore,
  Settings,
  registry,
  type Config,
  type DataStore,
  type DecoratorSpec,
  type FlowGraph,
  type Launcher,
  type LauncherRun,
  type MetadataProvider,
  type Sidecar,
} from '@flowkit/core/plugin';
import type { CodePackage } from './codePackage';
import type { RunConsole } from './console';
import { prepareEnvironments, recordEnvironments } from './environments';
import { RunEvents, chooseSidecars } from './events';
import { planLaunches } from './launchPlans';
import { RunProgress } from './progress';
import { LocalLauncher } from './localLauncher';
import { recordParameters } from './parameters';
import { originRun, planResume } from './resume';
import { recordGraph } from './runValues';
import { Scheduler } from './scheduler';
import { TaskLaunches, runSettings } from './taskLaunch';

/**
 * Task processes kept booted ahead of need: enough to hide process start behind running tasks. A flow
 * without splits runs one task at a time, so one process booting beside it is enough.
 */
const WARM_PROCESSES = 2;

export interface RunRequest {
  graph: FlowGraph;
  codePackage: CodePackage;
  flowClass: new () => FlowSpec;
  /** Parameter values by field name (for an IncludeFile, its path or URL). */
  parameters: Map<string, unknown>;
  storage: DataStore;
  datastoreName: string;
  metadata: MetadataProvider;
  metadataName: string;
  localRoot: string;
  config: Config;
  user: string;
  tags: string[];
  maxWorkers: number;
  maxNumSplits: number;
  withSpecs: DecoratorSpec[];
  console: RunConsole;
  cwd: string;
  version: string;
  /** The environment manager that builds each step's packages (`--environment`); its code package has scoped imports. */
  environment?: string;
  /** A run whose stored environments this one installs again, for the steps that ask for the same packages (`--environment-from`). */
  environmentFrom?: string;
  /** Resume an earlier run (the user's latest when no id is given), re-running from `step` or its first failure. */
  resume?: { originRunId?: string; step?: string };
  /** Sidecars of this run only (`--events FILE`), beside the registered ones it hears from. */
  sidecars?: Sidecar[];
  /** The event loggers and monitors chosen (`--event-logger`, `--monitor`); else the settings name them. */
  eventLoggers?: string[];
  monitors?: string[];
  /** Stops the run before it is recorded (Ctrl-C while an IncludeFile is read). */
  signal?: AbortSignal;
  /** Called with the run id as soon as it exists (for `--run-id-file`, signal handling). */
  onRunStarted?(runId: string, scheduler: Scheduler): void;
}

export interface RunResult {
  runId: string;
  succeeded: boolean;
  failure?: string;
}

/**
 * Starts a new run: checks every decorator, records the run and its parameters, then lets the
 * scheduler drive the tasks.
 */
export async function runFlow(request: RunRequest): Promise<RunResult> {
  const { graph, metadata, console } = request;
  const plans = planLaunches(request.graph, request.flowClass, request.withSpecs);
  const sidecars = chooseSidecars(registry.sidecars(), {
    'event-logger': request.eventLoggers ?? names(request.config.get(Settings.eventLogger)),
    monitor: request.monitors ?? names(request.config.get(Settings.monitor)),
  });
  const heartbeatSeconds = request.config.seconds(Settings.heartbeatSeconds, 10);
  await metadata.check?.();
  const store = new FlowDataStore(request.storage, graph.flowName, registry.serializers());
  // A missing bucket or bad credentials fail here, before a run is recorded or a task starts.
  await request.storage.check?.();

  const originRunId = request.resume && (await originRun(metadata, graph.flowName, request.resume.originRunId, request.user));
  // Files are read before the run is recorded: a missing one leaves nothing behind.
  const parameters = originRunId === undefined ? await readIncludedFiles(parametersOf(new request.flowClass()), request.parameters, request.config, request.cwd, request.signal) : request.parameters;
  const resume = originRunId === undefined ? undefined : await planResume({ graph, store, metadata, originRunId, step: request.resume?.step });
  if (request.environmentFrom !== undefined && request.environment === undefined) {
    throw new ConfigError(`--environment-from ${request.environmentFrom} installs a run's environments again, but this run has none.`, { hint: 'add --environment packages' });
  }
  if (request.environmentFrom !== undefined && !(await metadata.getRun(graph.flowName, request.environmentFrom))) {
    throw new PathspecError(`Run ${graph.flowName}/${request.environmentFrom} does not exist, so --environment-from cannot take its environments.`, { hint: 'give a run id that `flowkit run --environment packages` printed' });
  }
  const environmentsFrom = request.environmentFrom ?? originRunId;
  const environments =
    request.environment === undefined
      ? undefined
      : await prepareEnvironments({ name: request.environment, graph, launchPlan: plans, config: request.config, console, store, originRunId: environmentsFrom });
  const declaring = environments ? [] : Object.keys(graph.steps).filter((step) => Object.keys(plans(step).packages ?? {}).length > 0);
  if (declaring.length > 0) console.error(`Warning: @packages of ${declaring.map((step) => `'${step}'`).join(', ')} take effect with --environment packages; this run imports from the project.`);
  const launchPlan = (step: string) => {
    const plan = plans(step);
    if (environments) plan.env = { ...plan.env, ...environments.env(step) };
    return plan;
  };
  const run = await metadata.newRun(graph.flowName, {
    user: request.user,
    tags: request.tags,
    systemTags: [`user:${request.user}`, 'runtime:dev', `flowkit_version:${request.version}`],
    ...(originRunId === undefined ? {} : { originRunId }),
  });
  const startedAt = Date.now();
  const events = new RunEvents([...sidecars, ...(request.sidecars ?? [])], console);
  events.emit({ type: 'run-started', flowName: graph.flowName, runId: run.runId, user: request.user, tags: request.tags, ...(originRunId === undefined ? {} : { originRunId }) });
  console.info(`Workflow starting (run-id ${run.runId}):`);
  if (originRunId !== undefined) console.info(`Resuming run ${originRunId}${resume?.resumeStep ? ` from step '${resume.resumeStep}'` : ''}: finished tasks before it are cloned.`);
  if (resume?.changed.length) console.info(`The flow changed since run ${originRunId}; these steps run again instead of being cloned: ${resume.changed.join(', ')}.`);

  // A resumed run keeps the origin's parameters.
  await Promise.all([recordParameters(store, metadata, run.runId, originRunId === undefined ? { values: parameters } : { originRunId }), recordGraph(store, metadata, run.runId, graph)]);
  if (environments) await recordEnvironments(store, metadata, run.runId, environments.record);

  // What every task gets wherever it runs: the run's settings, so code in a task (a client reading another
  // flow) sees the run's datastore and records. A local process also gets this machine's environment.
  const runEnv = { ...runSettings(request.config, request), [Settings.datastoreSysrootLocal]: request.localRoot };
  const splits = Object.values(graph.steps).some((step) => step.next.length > 1 || step.foreach !== undefined);
  const computeDecorators = Object.keys(graph.steps).map((name) => launchPlan(name).compute?.decorator);
  const localLauncher = new LocalLauncher({
    bundlePath: request.codePackage.path,
    cwd: request.cwd,
    runEnv,
    // No process is booted ahead for a run whose every step runs elsewhere, or in an environment of its own.
    warmProcesses: environments || computeDecorators.every(Boolean) ? 0 : Math.min(request.maxWorkers, splits ? WARM_PROCESSES : 1),
  });
  const launchers: Launcher[] = [localLauncher, ...new Set(computeDecorators.filter((d) => d !== undefined))];
  const launcherRun: LauncherRun = { flowName: graph.flowName, runId: run.runId, datastore: { name: request.datastoreName, root: request.storage.root }, metadata: request.metadataName };
  const scheduler = new Scheduler({
    graph,
    runId: run.runId,
    store,
    metadata,
    console,
    maxWorkers: request.maxWorkers,
    heartbeatSeconds,
    taskArgs: {
      maxNumSplits: request.maxNumSplits,
      datastore: request.datastoreName,
      datastoreRoot: request.storage.root,
      metadata: request.metadataName,
      localRoot: request.localRoot,
      withSpecs: request.withSpecs,
      originRunId,
    },
    cloner: resume?.cloner,
    launchPlan,
    launcher: localLauncher,
    launches: new TaskLaunches({ store, storage: request.storage, datastoreName: request.datastoreName, codePackage: request.codePackage, runEnv }),
    hostBoundRoot: registry.metadataProvider(request.metadataName).hostBound ? request.localRoot : undefined,
    events,
  });
  request.onRunStarted?.(run.runId, scheduler);
  const progress = console.live ? new RunProgress(console, () => scheduler.progress()) : undefined;
  let succeeded = false;
  try {
    for (const launcher of launchers) await launcher.runStarted?.(launcherRun);
    succeeded = await scheduler.execute();
  } finally {
    progress?.stop();
    for (const launcher of launchers) {
      await launcher.runFinished?.(launcherRun, succeeded ? 'succeeded' : 'failed').catch((error: unknown) => console.error(`Cleaning up after the run failed: ${(error as Error).message}`));
    }
    await metadata.finishRun(graph.flowName, run.runId, succeeded ? 'succeeded' : 'failed');
    const failure = scheduler.failure;
    events.emit({ type: 'run-finished', flowName: graph.flowName, runId: run.runId, status: succeeded ? 'succeeded' : 'failed', durationMs: Date.now() - startedAt, ...(failure === undefined ? {} : { failure }) });
    await events.close();
  }
  if (succeeded) console.info('Done!');
  return { runId: run.runId, succeeded, failure: scheduler.failure };
}

/** A comma-separated list of names (a setting), without blanks. */
function names(text: string | undefined): string[] {
  return (text ?? '').split(',').map((name) => name.trim()).filter(Boolean);
}
