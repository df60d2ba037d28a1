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
} from '@flowkit/core';
import { findFlowClass } from './flowClass';
import { resolveStepDecorators } from './decorators';
import { executeTask, type TaskSpec } from './task/executor';
import { decodeTaskArgs } from './taskArgs';

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
  const args = decodeTaskArgs(argv[0] === 'warm' ? await taskFromStdin() : argv);
  for (const plugin of plugins) registry.use(plugin);
  const config = loadConfig();
  const flowClass = findFlowClass(flowModule, graph.flowName);
  const storage = registry.dataStore(args.datastore).create(args.datastoreRoot, config);
  const spec: TaskSpec = { ...args, user: resolveUser(config) };
  if (!graph.steps[spec.stepName]) throw new FlowKitError(`Flow ${graph.flowName} has no step '${spec.stepName}'.`);
  await executeTask(spec, {
    graph,
    flowClass,
    store: new FlowDataStore(storage, graph.flowName, registry.serializers()),
    metadata: registry.metadataProvider(args.metadata).create(config, args.localRoot),
    decorators: resolveStepDecorators(registry, flowClass, graph, spec.stepName, args.withSpecs),
  });
}
