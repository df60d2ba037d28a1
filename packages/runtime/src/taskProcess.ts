import { appendFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  FlowDataStore,
  FlowKitError,
  formatError,
  loadConfig,
  mapStacksOfBundle,
  registry,
  resolveUser,
  type FlowGraph,
  type FlowKitPlugin,
  type TaskRef,
} from '@flowkit/core';
import { findFlowClass } from './flowClass';
import { resolveStepDecorators } from './decorators';
import { executeTask, type TaskSpec } from './task/executor';
import { exitCause, parseExit } from './exits';
import { readTaskRecords, writeTaskRecords } from './records';
import { decodeTaskArgs, type TaskArgs } from './taskArgs';

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
  const args = decodeTaskArgs(argv[0] === 'warm' ? await taskFromStdin() : argv);
  const flowClass = findFlowClass(flowModule, graph.flowName);
  const { config, store, metadata } = await openTask(graph, args);
  const spec: TaskSpec = { ...args, user: resolveUser(config) };
  if (!graph.steps[spec.stepName]) throw new FlowKitError(`Flow ${graph.flowName} has no step '${spec.stepName}'.`);
  await executeTask(spec, {
    graph,
    flowClass,
    store,
    metadata,
    decorators: resolveStepDecorators(registry, flowClass, graph, spec.stepName, args.withSpecs),
  });
}

/**
 * The datastore and records of a task. A task away from this machine (no `--local-root`) keeps the records
 * of a host-bound provider under a scratch root in its working directory, seeded with its earlier attempts'.
 */
async function openTask(graph: FlowGraph, args: TaskArgs) {
  const config = loadConfig();
  const storage = registry.dataStore(args.datastore).create(args.datastoreRoot, config);
  const store = new FlowDataStore(storage, graph.flowName, registry.serializers());
  const factory = registry.metadataProvider(args.metadata);
  const ref: TaskRef = { flowName: graph.flowName, runId: args.runId, stepName: args.stepName, taskId: args.taskId };
  const scratch = args.localRoot === undefined && factory.hostBound ? resolve(SCRATCH_ROOT) : undefined;
  if (scratch) {
    for (let attempt = 0; attempt < args.attempt; attempt++) {
      const files = await store.loadRecords(ref, attempt);
      if (files) writeTaskRecords(scratch, ref, files);
    }
  }
  return { config, store, ref, scratch, metadata: factory.create(config, args.localRoot ?? resolve(SCRATCH_ROOT)) };
}

/**
 * `finish <stdout file> <stderr file> <exit> step ...`: what the bootstrap runs once a task away from this
 * machine ended. Records why it died when it could not, saves its logs, and saves a host-bound provider's
 * records beside the attempt, for the scheduler to copy into the local root.
 */
async function finishTask(graph: FlowGraph, argv: string[]): Promise<void> {
  const [stdoutFile, stderrFile, exitText, ...taskArgs] = argv as [string, string, string, ...string[]];
  const args = decodeTaskArgs(taskArgs);
  const { store, ref, scratch, metadata } = await openTask(graph, args);
  const exit = parseExit(exitText);
  if (exit.code !== 0 && (await metadata.listAttempts(ref)).find((a) => a.attempt === args.attempt)?.status !== 'failed') {
    const cause = exitCause(exit);
    appendFileSync(stderrFile, `FlowKit: the task ${cause}.\n`);
    if (!(await metadata.listAttempts(ref)).some((a) => a.attempt === args.attempt)) await metadata.startAttempt(ref, args.attempt);
    await metadata.finishAttempt(ref, args.attempt, { status: 'failed', error: `Task ${cause}` });
  }
  await Promise.all([store.saveLog(ref, args.attempt, 'stdout', stdoutFile), store.saveLog(ref, args.attempt, 'stderr', stderrFile)]);
  if (scratch) await store.saveRecords(ref, args.attempt, readTaskRecords(scratch, ref));
}
