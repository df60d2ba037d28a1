import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { backendNames, discoverPluginModules, makeDirectory, parametersOf, usePlugins, writeFileAtomically, type BackendOptions } from '@flowkit/core/internal';
import {
  DataStoreError,
  FlowDefinitionError,
  FlowKitError,
  Settings,
  registry,
  type Config,
  type FlowGraph,
  type FlowKitPlugin,
  type LaunchPlan,
  type PreparedFlow,
} from '@flowkit/core/plugin';
import type { LintIssue } from '@flowkit/graph';
import { buildCodePackage, collectPackageFiles, loadCodePackage, parseWithSpec, planLaunches } from '@flowkit/runtime';
import { packageSuffixes } from './usage';
import { VERSION } from './version';

/** The flow failed lint: every issue, located, then a count. */
export class FlowLintError extends FlowKitError {
  constructor(
    readonly issues: LintIssue[],
    format: (issue: LintIssue) => string,
  ) {
    super(`${issues.map(format).join('\n')}\n${issues.length} problem${issues.length === 1 ? '' : 's'} in the flow; fix ${issues.length === 1 ? 'it' : 'them'} and run again.`);
  }
}

/** Resolves the flow file argument, refusing what cannot be a flow before anything else runs. */
export function resolveFlowFile(file: string): string {
  const path = resolve(file);
  const stat = statSync(path, { throwIfNoEntry: false });
  const problem = !stat ? 'does not exist' : !stat.isFile() ? `is ${stat.isDirectory() ? 'a directory' : 'not a regular file'}` : undefined;
  if (problem) throw new FlowDefinitionError(`Flow file ${file} ${problem}.`, { hint: 'give the path of a .ts or .js file that defines a FlowSpec subclass' });
  return path;
}

/** The graph package, loaded only when needed: it brings a parser (Babel's, 40 ms to load). */
export function graphPackage(): Promise<typeof import('@flowkit/graph')> {
  return import('@flowkit/graph');
}

/** Where a flow's graphs and code packages are cached: `_code/` under its local root, made here (refused clearly when it cannot be). */
export function codeCacheDir(flowDir: string, config: Config): string {
  const root = registry.embeddedDataStore().defaultRoot(config, flowDir);
  const dir = join(root, '_code');
  try {
    makeDirectory(dir);
  } catch (error) {
    throw new DataStoreError(`Local root ${root} is not writable (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`, {
      hint: `make it writable, or set ${Settings.datastoreSysrootLocal} to a writable directory`,
    });
  }
  return dir;
}

/**
 * The graph of a flow file with its lint issues. Graphs are cached by the file's path and content, so
 * an unchanged flow is read without loading the TypeScript compiler.
 */
export async function cachedGraph(file: string, cacheDir: string): Promise<{ graph: FlowGraph; issues: LintIssue[] }> {
  const path = resolveFlowFile(file);
  const key = createHash('sha256').update(`${VERSION}\0${path}\0`).update(readFileSync(path)).digest('hex');
  const cached = join(cacheDir, 'graphs', `${key}.json`);
  if (existsSync(cached)) return JSON.parse(readFileSync(cached, 'utf8')) as { graph: FlowGraph; issues: LintIssue[] };
  const result = (await graphPackage()).loadGraph(path);
  writeFileAtomically(cached, JSON.stringify(result));
  return result;
}

/** The graph of a flow file, refused with every lint issue when it is not valid. */
export async function checkedGraph(file: string, cacheDir: string): Promise<FlowGraph> {
  const { graph, issues } = await cachedGraph(file, cacheDir);
  if (issues.length > 0) throw new FlowLintError(issues, (await graphPackage()).formatIssue);
  return graph;
}

/** Loads the plugins a flow can use: those installed near the flow, near the working directory and beside the CLI. */
export function loadPlugins(flowDir: string, config: Config): Array<{ module: string; plugin: FlowKitPlugin }> {
  return usePlugins(discoverPluginModules([flowDir, process.cwd(), __dirname], config));
}

/** The command-line choices that decide which plugins a run's tasks load, and what goes in its code package. */
export interface RunChoices extends BackendOptions {
  with?: string[];
  /** `--package-suffixes .csv,.json`: files of the flow's directory that tasks elsewhere get beside the bundle. */
  packageSuffixes?: string;
  /** `--environment packages`: each step imports its packages from an environment of its own (else FLOWKIT_DEFAULT_ENVIRONMENT). */
  environment?: string;
}

/**
 * Lints the flow, loads the plugins, bundles the flow with the plugins its tasks use into the code
 * package (cached under the local root's `_code/`), and loads it to learn the flow's parameters.
 * Plugins only the CLI or the scheduler use (the S3 SDK of an unused datastore, commands) stay out:
 * every task reads and compiles the whole bundle.
 */
export async function prepareFlow(file: string, config: Config, choices: RunChoices = {}): Promise<PreparedFlow> {
  const suffixes = choices.packageSuffixes === undefined ? undefined : packageSuffixes(choices.packageSuffixes);
  const flowDir = dirname(resolveFlowFile(file));
  const plugins = loadPlugins(flowDir, config);
  const cacheDir = codeCacheDir(flowDir, config);
  const graph = await checkedGraph(file, cacheDir);
  const { datastoreName, metadataName } = backendNames(choices, config);
  const stepDecorators = [...Object.values(graph.steps).flatMap((step) => step.decorators), ...(choices.with ?? []).map(parseWithSpec)].map((d) => d.name);
  // The embedded datastore always: a client inside a step finds the local root through it, whatever the run's datastore.
  const needs = { dataStores: [datastoreName, registry.embeddedDataStore().name], metadata: metadataName, stepDecorators, flowDecorators: graph.decorators.map((d) => d.name) };
  const taskPlugins = plugins.filter(({ plugin }) => registry.usedByTasks(plugin.name, needs)).map(({ module, plugin }) => ({ module, taskModule: plugin.taskModule }));
  const files = suffixes && collectPackageFiles(flowDir, suffixes);
  const environment = choices.environment ?? config.get(Settings.defaultEnvironment);
  // Checked before the build: an unknown name fails with the known ones.
  if (environment !== undefined) registry.environmentManager(environment);
  const codePackage = { ...(await buildCodePackage({ flowFile: graph.file, graph, plugins: taskPlugins, cacheDir, scopedImports: environment !== undefined })), files };
  const { flowClass } = loadCodePackage(codePackage.path, graph.flowName);
  let plans: ((stepName: string) => LaunchPlan) | undefined;
  return {
    file: graph.file,
    flowDir,
    graph,
    codePackage,
    environment,
    flowClass,
    parameters: parametersOf(new flowClass()),
    launchPlan: (stepName) => (plans ??= planLaunches(graph, flowClass, (choices.with ?? []).map(parseWithSpec)))(stepName),
  };
}
