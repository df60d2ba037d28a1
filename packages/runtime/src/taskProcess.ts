import { appendFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { FlowKitError, type FlowSpec } from '@flowkit/core';
import { formatError, mapStacksOfBundle, openDataStore, openMetadataProvider } from '@flowkit/core/internal';
import { FlowDataStore, Settings, loadConfig, registry, resolveUser, type FlowGraph, type FlowKitPlugin, type TaskRef } from '@flowkit/core/plugin';
import { findFlowClass, flowStep } from './flowClass';
import { resolveStepDecorators } from './decorators';
import { executeTask } from './task/executor';
import { bootstrapExitCause, diedOutcome } from './exits';
import { readTaskRecords, writeTaskRecords } from './records';
import { afterOrchestratedTask, failOrchestratedRun, initOrchestratedRun, orchestratedRef, resolveOrchestratedTask } from './orchestrated';
import { startHeartbeats } from './heartbeats';
import { decodeFailedRunArgs, decodeInitArgs, decodeOrchestratedArgs, decodeTaskArgs, isOrchestrated, type InitArgs, type OrchestratedTaskArgs, type TaskArgs } from './taskArgs';

/** Where a task away from this machine keeps host-bound records: under its working directory, the bootstrap's scratch. */
const SCRATCH_ROOT = '.flowkit';

/**
 * The entry point of every task process (`node <bundle> step <name> ...`, or the same through
 * bundleLoader): one attempt of one task, then exit 0 on success, 1 on failure with the error on stderr.
 */
export function runTaskProcess(flowModule: Record<string, unknown>, plugins: FlowKitPlugin[], graph: FlowGraph, bundleFile: string): void {
  mapStacksOfBundle(bundleFile);
  runTask(flowModule, plugins, graph).then(
    () => exitWhenFlushed(0),
    (error: unknown) => {
      process.stderr.write(`${formatError(error)}\n`);
      exitWhenFlushed(1);
    },
  );
}

/** A warm process's task: one JSON array of task arguments on standard input. */
async function taskFromStdin(): Promise<string[]> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return JSON.parse(text) as string[];
}

/** Exits once everything the task printed reached the pipes (a full pipe queues writes; exit would drop them). */
function exitWhenFlushed(code: number): void {
  let pending = 2;
  const flushed = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', flushed);
  process.stderr.write('', flushed);
}

async function runTask(flowModule: Record<string, unknown>, plugins: FlowKitPlugin[], graph: FlowGraph): Promise<void> {
  const argv = process.argv.slice(2);
  for (const plugin of plugins) registry.use(plugin);
  if (argv[0] === 'finish') return finishTask(graph, argv.slice(1));
  if (argv[0] === 'failed') {
    const args = decodeFailedRunArgs(argv);
    return failOrchestratedRun(graph, args.runId, openBackends(graph, args, true).metadata);
  }
  const flowClass = findFlowClass(flowModule, graph.flowName);
  if (argv[0] === 'init') return initRun(graph, flowClass, decodeInitArgs(argv));
  const command = argv[0] === 'warm' ? await taskFromStdin() : argv;
  const orchestrated = isOrchestrated(command) ? decodeOrchestratedArgs(command) : undefined;
  const given = orchestrated ?? decodeTaskArgs(command);
  const { config, store, ref, metadata } = await openTask(graph, given, orchestrated !== undefined);
  const args = orchestrated ? await resolveOrchestratedTask(graph, orchestrated, store, metadata) : (given as TaskArgs);
  // A task an engine runs has no scheduler to vouch for it: it sends its own heartbeats while it runs.
  const stopHeartbeats = orchestrated
    ? startHeartbeats(metadata, ref, config.seconds(Settings.heartbeatSeconds, 10), () => [ref], (message) => process.stderr.write(`FlowKit: ${message}\n`))
    : undefined;
  try {
    await executeTask({ ...args, user: resolveUser(config) }, {
      graph,
      flowClass,
      store,
      metadata,
      decorators: resolveStepDecorators(registry, flowClass, graph, args.stepName, args.withSpecs),
    });
  } finally {
    stopHeartbeats?.();
  }
  if (orchestrated) await afterOrchestratedTask(graph, ref, store, metadata);
}

/** Where a task's command says its run lives. */
type Backends = Pick<TaskArgs, 'datastore' | 'datastoreRoot' | 'metadata' | 'localRoot'>;

function openBackends(graph: FlowGraph, args: Backends, orchestrated: boolean) {
  const config = loadConfig();
  const storage = openDataStore(registry.dataStore(args.datastore), args.datastoreRoot, config);
  const store = new FlowDataStore(storage, graph.flowName, registry.serializers());
  const factory = registry.metadataProvider(args.metadata);
  const scratch = args.localRoot === undefined && factory.hostBound ? resolve(SCRATCH_ROOT) : undefined;
  // Nothing would copy a host-bound provider's records back from where an engine runs the tasks.
  if (scratch && orchestrated) {
    throw new FlowKitError(`The '${args.metadata}' metadata provider keeps its records on one machine, so an orchestrator's tasks cannot share them.`, { hint: 'deploy with --metadata service' });
  }
  return { config, store, scratch, metadata: openMetadataProvider(factory, config, args.localRoot ?? resolve(SCRATCH_ROOT)) };
}

/**
 * The datastore and records of a task. A task away from this machine (no `--local-root`) keeps the records
 * of a host-bound provider under a scratch root in its working directory, seeded with its earlier attempts'.
 */
async function openTask(graph: FlowGraph, args: TaskArgs | OrchestratedTaskArgs, orchestrated: boolean) {
  // First: nothing is opened, let alone recorded, for a step the flow does not have.
  const ref: TaskRef = 'taskId' in args ? { flowName: graph.flowName, runId: args.runId, stepName: flowStep(graph, args.stepName).name, taskId: args.taskId } : orchestratedRef(graph, args);
  const opened = openBackends(graph, args, orchestrated);
  if (opened.scratch) {
    for (let attempt = 0; attempt < args.attempt; attempt++) {
      const files = await opened.store.loadRecords(ref, attempt);
      if (files) writeTaskRecords(opened.scratch, ref, files);
    }
  }
  return { ...opened, ref };
}

async function initRun(graph: FlowGraph, flowClass: new () => FlowSpec, args: InitArgs): Promise<void> {
  const { config, store, metadata } = openBackends(graph, args, true);
  await initOrchestratedRun(graph, flowClass, args, { store, metadata, config, user: resolveUser(config) });
}

/**
 * `finish <stdout file> <stderr file> <exit> step ...`: what the bootstrap runs once a task away from this
 * machine ended. Records why it died when it could not, saves its logs, and saves a host-bound provider's
 * records beside the attempt, for the scheduler to copy into the local root.
 */
async function finishTask(graph: FlowGraph, argv: string[]): Promise<void> {
  const [stdoutFile, stderrFile, exitText, ...taskArgs] = argv as [string, string, string, ...string[]];
  const orchestrated = isOrchestrated(taskArgs);
  const args = orchestrated ? decodeOrchestratedArgs(taskArgs) : decodeTaskArgs(taskArgs);
  const { store, ref, scratch, metadata } = await openTask(graph, args, orchestrated);
  const recorded = (await metadata.listAttempts(ref)).find((a) => a.attempt === args.attempt)?.status;
  // Exit 0 with the attempt still running: process.exit(0) in the step.
  if (recorded !== 'failed' && (exitText !== '0' || recorded !== 'succeeded')) {
    const cause = bootstrapExitCause(exitText);
    appendFileSync(stderrFile, `FlowKit: the task ${cause}.\n`);
    if (recorded === undefined) await metadata.startAttempt(ref, args.attempt);
    await metadata.finishAttempt(ref, args.attempt, diedOutcome(cause));
  }
  await Promise.all([store.saveLog(ref, args.attempt, 'stdout', stdoutFile), store.saveLog(ref, args.attempt, 'stderr', stderrFile)]);
  if (scratch) await store.saveRecords(ref, args.attempt, readTaskRecords(scratch, ref));
}
