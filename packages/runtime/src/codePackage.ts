import { createHash } from 'node:crypto';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import type { Plugin } from 'esbuild';
import { FlowDefinitionError, FlowKitError, type FlowSpec } from '@flowkit/core';
import { errorType, mapStacksOfBundle, sourceLocationOf, writeFileAtomically } from '@flowkit/core/internal';
import type { FlowGraph, FlowKitPlugin, PackagedFile } from '@flowkit/core/plugin';
import { findFlowClass } from './flowClass';
import { isPackageRequest } from './moduleScope';

/** A plugin a run's tasks use: its module, and the lighter one tasks load instead, if it has one. */
export interface TaskPlugin {
  module: string;
  taskModule?: string;
}

/** A flow compiled to one self-contained JavaScript file that runs any of its tasks. */
export interface CodePackage {
  /** Absolute path of the bundle. */
  path: string;
  sha: string;
  /** Files of the flow's directory that tasks elsewhere get beside the bundle (`--package-suffixes`). */
  files?: PackagedFile[];
}

/** What requiring a code package gives the process that loads it. */
export interface LoadedCodePackage {
  flowClass: new () => FlowSpec;
  plugins: FlowKitPlugin[];
}

const LOADING_FLAG = Symbol.for('flowkit.loadingFlowBundle');

/** Files changed this recently before a build are not trusted to be in it as stamped. */
const RECENT_EDIT_MS = 2000;

/** What a bundle was built from: each source file's size and modification time. */
interface BuildRecord {
  sha: string;
  inputs: Record<string, [size: number, mtimeMs: number]>;
}

/**
 * Bundles the flow, FlowKit's task entry and the plugins into one file with esbuild, so every task
 * starts a plain `node` process that reads a single file. Bundles are content-addressed under
 * `<cacheDir>/<sha>.cjs` (CommonJS whatever the project's `"type"`: a `.js` file in an ES module project would be
 * read as one); a build record (`builds/<key>.json`) lists the files that went in, so while
 * none of them changed a run reuses the bundle without running, or even loading, esbuild.
 */
export async function buildCodePackage(options: { flowFile: string; graph: FlowGraph; plugins: TaskPlugin[]; cacheDir: string; scopedImports?: boolean }): Promise<CodePackage> {
  const pluginModules = options.plugins.map((p) => p.taskModule ?? p.module);
  const taskEntry = require.resolve('./taskProcess');
  const scoped = options.scopedImports === true;
  const key = createHash('sha256').update(JSON.stringify([options.flowFile, options.plugins, options.graph, taskEntry, scoped])).digest('hex');
  const recordFile = join(options.cacheDir, 'builds', `${key}.json`);
  const reused = unchangedBuild(recordFile, options.cacheDir);
  if (reused) return reused;
  const lines = [
    `globalThis[Symbol.for('flowkit.loadingFlowBundle')] = true;`,
    ...(scoped ? [`require(${JSON.stringify(require.resolve('./moduleScope'))}).scopeModules(__filename, ${JSON.stringify(dirname(options.flowFile))});`] : []),
    `const flowModule = require(${JSON.stringify(options.flowFile)});`,
    `const plugins = [${pluginModules.map((m) => `require(${JSON.stringify(m)}).plugin`).join(', ')}];`,
    `const graph = ${JSON.stringify(options.graph)};`,
    `const runTask = () => require(${JSON.stringify(taskEntry)}).runTaskProcess(flowModule, plugins, graph, __filename);`,
    `module.exports = { flowModule, plugins, graph, runTask };`,
    `if (require.main === module) runTask();`,
  ];
  const { build } = await import('esbuild');
  const buildStarted = Date.now();
  let result;
  try {
    result = await build({
      stdin: { contents: lines.join('\n'), resolveDir: dirname(options.flowFile), sourcefile: 'flowkit-task-entry.js', loader: 'js' },
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      write: false,
      sourcemap: 'external',
      // Where the bundle is written, so the source map's relative paths resolve from there.
      outfile: join(options.cacheDir, 'flow.cjs'),
      logLevel: 'silent',
      keepNames: true,
      metafile: true,
      // main() reaches the CLI only when a flow file runs itself, never inside a task.
      external: ['@flowkit/cli'],
      // A flow importing a plugin package (`import { batch } from '@flowkit/compute-batch'`) gets its task module.
      alias: taskModuleAliases(options.plugins),
      // A flow outside any npm project still finds FlowKit where the CLI is installed.
      nodePaths: nodeModulesAbove(__dirname),
      plugins: scoped ? [leavePackagesOut([__dirname, require.resolve('@flowkit/core'), ...pluginModules])] : [],
    });
  } catch (error) {
    const first = (error as { errors?: Array<{ text: string; location?: { file: string; line: number; column: number } }> }).errors?.[0];
    throw new FlowDefinitionError(`Cannot compile ${options.flowFile}: ${first?.text ?? (error as Error).message}`, {
      location: first?.location ? { file: first.location.file, line: first.location.line, column: first.location.column + 1 } : undefined,
      hint: 'fix the import or syntax error; `flowkit check` shows all problems',
    });
  }
  const code = result.outputFiles.find((f) => f.path.endsWith('.cjs'));
  const map = result.outputFiles.find((f) => f.path.endsWith('.cjs.map'));
  if (!code || !map) throw new Error('esbuild produced no bundle');
  const sha = createHash('sha256').update(code.contents).digest('hex');
  const path = join(options.cacheDir, `${sha}.cjs`);
  if (!existsSync(path)) {
    writeFileAtomically(`${path}.map`, map.contents);
    writeFileAtomically(path, `${code.text}\n//# sourceMappingURL=${sha}.cjs.map\n`);
  }
  const record: BuildRecord = { sha, inputs: {} };
  for (const file of Object.keys(result.metafile.inputs).map((input) => resolve(input))) {
    const stamp = fileStamp(file);
    if (stamp) record.inputs[file] = stamp;
  }
  // A file saved while esbuild ran may be in the bundle as it was before: then the next run builds again.
  // File times come from the kernel's coarse clock, hence the margin.
  if (Object.values(record.inputs).every(([, mtimeMs]) => mtimeMs < buildStarted - RECENT_EDIT_MS)) {
    writeFileAtomically(recordFile, JSON.stringify(record));
  }
  return { path, sha };
}

/** Package name -> task module, for each plugin with a task module (the name read from its package.json). */
function taskModuleAliases(plugins: TaskPlugin[]): Record<string, string> {
  const aliases: Record<string, string> = {};
  for (const { module, taskModule } of plugins) {
    if (taskModule === undefined) continue;
    const { name } = JSON.parse(readFileSync(join(packageDirOf(module), 'package.json'), 'utf8')) as { name?: string };
    if (name) aliases[name] = taskModule;
  }
  return aliases;
}

/**
 * An esbuild plugin for scoped imports: the packages the flow's own code imports stay out of the bundle, for each
 * task to import from its step's environment. Each becomes a stub that `require`s it, so a dynamic `import()` in a
 * step goes through the task's module resolution too (a native one would not). FlowKit's code and its plugins' (files
 * in the packages of `flowKitFiles`, and whatever sits in a node_modules) bundle their dependencies as usual.
 */
function leavePackagesOut(flowKitFiles: string[]): Plugin {
  const flowKitDirs = flowKitFiles.map((file) => `${packageDirOf(realpathSync(file))}${sep}`);
  const isFlowCode = (importer: string) => !importer.split(sep).includes('node_modules') && !flowKitDirs.some((dir) => importer.startsWith(dir));
  const namespace = 'flowkit-scoped-import';
  return {
    name: 'flowkit-scoped-imports',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.namespace === namespace) return { path: args.path, external: true };
        return isPackageRequest(args.path) && isFlowCode(args.importer) ? { path: args.path, namespace } : undefined;
      });
      build.onLoad({ filter: /.*/, namespace }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
    },
  };
}

/** The directory of the package.json nearest above a file. */
function packageDirOf(file: string): string {
  for (let dir = dirname(file); dirname(dir) !== dir; dir = dirname(dir)) if (existsSync(join(dir, 'package.json'))) return dir;
  return dirname(file);
}

function fileStamp(file: string): [number, number] | undefined {
  const stats = statSync(file, { throwIfNoEntry: false });
  return stats && [stats.size, stats.mtimeMs];
}

/** The bundle a build record names, when it exists and none of the files it was built from changed. */
function unchangedBuild(recordFile: string, cacheDir: string): CodePackage | undefined {
  if (!existsSync(recordFile)) return undefined;
  const record = JSON.parse(readFileSync(recordFile, 'utf8')) as BuildRecord;
  const path = join(cacheDir, `${record.sha}.cjs`);
  if (!existsSync(path)) return undefined;
  for (const [file, [size, mtimeMs]] of Object.entries(record.inputs)) {
    const now = fileStamp(file);
    if (now?.[0] !== size || now[1] !== mtimeMs) return undefined;
  }
  return { path, sha: record.sha };
}

function nodeModulesAbove(dir: string): string[] {
  const found: string[] = [];
  for (let current = dir; ; current = dirname(current)) {
    const candidate = join(current, 'node_modules');
    if (basename(current) !== 'node_modules' && existsSync(candidate)) found.push(candidate);
    if (dirname(current) === current) return found;
  }
}


/** Loads a code package into this process (user module code runs; steps do not). */
export function loadCodePackage(path: string, flowName: string): LoadedCodePackage {
  const globals = globalThis as Record<symbol, unknown>;
  globals[LOADING_FLAG] = true;
  mapStacksOfBundle(path);
  let loaded: { flowModule: Record<string, unknown>; plugins: FlowKitPlugin[] };
  try {
    loaded = require(path) as typeof loaded;
  } catch (error) {
    throw error instanceof FlowKitError ? error : moduleLoadError(error);
  }
  return { flowClass: findFlowClass(loaded.flowModule, flowName), plugins: loaded.plugins };
}

/** What the flow module's top level threw, located in the flow's source rather than in the bundle. */
function moduleLoadError(error: unknown): FlowDefinitionError {
  if (!(error instanceof Error)) return new FlowDefinitionError(`The flow module threw ${String(error)} while loading.`, { hint: 'fix the code outside the steps' });
  const location = sourceLocationOf(error);
  const where = location ? `${location.file}:${location.line}:${location.column}: ` : '';
  return new FlowDefinitionError(`${where}the flow module threw ${errorType(error)}: ${error.message}`, {
    location,
    hint: 'fix the code that runs when the flow file is loaded, outside the steps (--debug shows the stack trace)',
    cause: error,
  });
}
