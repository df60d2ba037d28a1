import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cliChecker, clientChecker, type RunLocation } from './checkers';
import type { FlowTest } from './flowTest';
import { assignBodies, flowClassName, generateFlow, readTemplate, type Template } from './generate';
import { loadGraphs, qualifiers, type GraphSpec } from './graphs';
import type { FlowResult, TemplateClass } from './template';

const exec = promisify(execFile);

/** A set of CLI options and environment a flow runs under (datastore, metadata provider, workers...). */
export interface Context {
  name: string;
  args: string[];
  env: Record<string, string>;
  /**
   * A production scheduler (`step-functions`): the flow is deployed with `flowkit <scheduler> create` (taking `args`)
   * and its run started with `trigger` (taking the test's parameters), instead of `flowkit run`; a resume is local.
   */
  scheduler?: string;
}

export interface Combination {
  id: string;
  graph: GraphSpec;
  template: Template;
  context: Context;
}

const PACKAGE = join(__dirname, '..');
const TEMPLATE_SOURCES = join(PACKAGE, 'src', 'templates');

export function loadContexts(): Context[] {
  const dir = join(PACKAGE, 'contexts');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Context);
}

export function templateNames(): string[] {
  return readdirSync(TEMPLATE_SOURCES)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

/** Every valid (graph, test, context), optionally filtered by name. */
export function combinations(filter: { graphs?: string[]; tests?: string[]; contexts?: string[] } = {}): Combination[] {
  const pick = <T extends { name: string }>(items: T[], names?: string[]) => (names ? items.filter((i) => names.includes(i.name)) : items);
  const templates = pick(templateNames().map((name) => readTemplate(join(TEMPLATE_SOURCES, `${name}.ts`), name)), filter.tests);
  const result: Combination[] = [];
  for (const context of pick(loadContexts(), filter.contexts ?? ['dev-local'])) {
    for (const template of templates) {
      for (const graph of pick(loadGraphs(), filter.graphs)) {
        if (assignBodies(graph, template)) result.push({ id: `${context.name}/${template.name}/${graph.name}`, graph, template, context });
      }
    }
  }
  return result;
}

/** Writes the combination's flow to `<dir>/flow.ts` (its directory made); returns the file. */
export function writeFlow(combo: Combination, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const flowFile = join(dir, 'flow.ts');
  writeFileSync(flowFile, generateFlow(combo.graph, combo.template, assignBodies(combo.graph, combo.template) as Map<string, never>));
  return flowFile;
}

/**
 * Generates the flow, runs it with the real `flowkit` binary, then checks its results through every
 * checker; throws an error that says which combination, which checker and what differed.
 */
export async function runCombination(combo: Combination, options: { workDir: string; datastoreRoot: string; flowkitBin: string }): Promise<void> {
  const dir = join(options.workDir, combo.id.replace(/\//g, '__'));
  const flowFile = writeFlow(combo, dir);
  const test = new ((require(join(__dirname, 'templates', combo.template.name)) as { default: TemplateClass }).default)() as FlowTest;
  const env = { FLOWKIT_USER: 'conformance', FLOWKIT_DATASTORE_SYSROOT_LOCAL: options.datastoreRoot, ...combo.context.env, ...test.env };
  for (const [name, content] of Object.entries(test.files)) writeFileSync(join(dir, name), content);
  const runIdFile = join(dir, 'run-id');
  const cli = (args: string[]) => exec(process.execPath, [options.flowkitBin, ...args], { cwd: dir, env: { ...process.env, ...env }, maxBuffer: 1 << 28 });
  const flowkit = async (command: 'run' | 'resume', args: string[] = []): Promise<Failure | undefined> => {
    try {
      if (command === 'run' && combo.context.scheduler) return await runDeployed(combo.context, cli, flowFile, test.runArgs, runIdFile);
      await cli([command, flowFile, ...args, '--quiet', '--run-id-file', runIdFile, ...(command === 'resume' && combo.context.scheduler ? [] : combo.context.args), ...(command === 'run' ? test.runArgs : [])]);
      return undefined;
    } catch (error) {
      return failure(error);
    }
  };
  let failed = await flowkit('run');
  let originRunId: string | undefined;
  if (test.resume) {
    if (!failed) throw new Error(`${combo.id}: the first run succeeded, but a resume test's first run must fail (ResumeFromHere). flow: ${flowFile}`);
    if (!failed.output.includes('ResumeFromHere')) throw new Error(`${combo.id}: the first run failed, but not with ResumeFromHere (exit ${failed.code}):\n${failed.output.slice(-4000)}\nflow: ${flowFile}`);
    originRunId = readFileSync(runIdFile, 'utf8').trim();
    failed = await flowkit('resume', test.resumeStep ? [test.resumeStep] : []);
  }
  if (failed && !test.shouldFail) throw new Error(`${combo.id}: the ${test.resume ? 'resumed ' : ''}run failed (exit ${failed.code}):\n${failed.output.slice(-4000)}\nflow: ${flowFile}`);
  if (!failed && test.shouldFail) throw new Error(`${combo.id}: the run succeeded but the test expects it to fail. flow: ${flowFile}`);
  const quals = qualifiers(combo.graph);
  const flow: FlowResult = {
    flowName: flowClassName(combo.graph, combo.template),
    runId: readFileSync(runIdFile, 'utf8').trim(),
    steps: Object.keys(combo.graph.steps),
    qualifiers: Object.fromEntries([...quals].map(([step, q]) => [step, [...q]])),
    graph: combo.graph,
    originRunId,
  };
  const location: RunLocation = { flowName: flow.flowName, runId: flow.runId, dir, env, backendArgs: [] };
  for (const checker of [cliChecker(location, options.flowkitBin, { dumpEachStep: test.largeArtifacts }), clientChecker(location, options.datastoreRoot)]) {
    try {
      await test.checkResults(flow, checker);
    } catch (error) {
      throw new Error(`${combo.id} [${checker.name} checker]: ${(error as Error).message}\nflow: ${flowFile}`);
    }
  }
}

type Failure = { code: number; output: string };

function failure(error: unknown): Failure {
  const e = error as { code?: number; stdout?: string; stderr?: string };
  return { code: typeof e.code === 'number' ? e.code : -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
}

/**
 * How often a deployed run's state is read while the harness waits for it: each read is a CLI process (half a
 * second of CPU), so a shorter wait would spend more CPU polling than the run's own tasks.
 */
const DEPLOYED_POLL_MS = 2000;

/**
 * A run through a production scheduler: deploy, trigger, then wait (reading `list-runs`) until the run ends. A
 * failed run's output is its tasks' stderr, where the error that failed it is.
 */
async function runDeployed(context: Context, cli: (args: string[]) => Promise<{ stdout: string }>, flowFile: string, parameters: string[], runIdFile: string): Promise<Failure | undefined> {
  const scheduler = context.scheduler as string;
  await cli([scheduler, 'create', flowFile, ...context.args]);
  await cli([scheduler, 'trigger', flowFile, ...parameters, '--run-id-file', runIdFile]);
  const runId = readFileSync(runIdFile, 'utf8').trim();
  for (;;) {
    const { stdout } = await cli([scheduler, 'list-runs', flowFile]);
    const status = new RegExp(`^${runId}\\s+(\\w+)`, 'm').exec(stdout)?.[1];
    if (status === 'SUCCEEDED') return undefined;
    if (status !== undefined && status !== 'RUNNING') {
      const logs = await cli(['logs', flowFile, runId, '--stderr']).catch(failure);
      return { code: 1, output: `${scheduler} run ${runId} ended ${status}\n${'stdout' in logs ? logs.stdout : logs.output}` };
    }
    await new Promise((resolve) => setTimeout(resolve, DEPLOYED_POLL_MS));
  }
}

/** Runs combinations with a bounded pool and returns every failure; with `debug`, stops at the first. */
export async function runHarness(
  combos: Combination[],
  options: { workDir: string; datastoreRoot: string; flowkitBin: string; concurrency: number; debug?: boolean; onResult?(id: string, error?: Error): void },
): Promise<Array<{ id: string; error: Error }>> {
  const failures: Array<{ id: string; error: Error }> = [];
  let next = 0;
  const worker = async () => {
    while (next < combos.length && !(options.debug && failures.length > 0)) {
      const combo = combos[next++] as Combination;
      try {
        await runCombination(combo, options);
        options.onResult?.(combo.id);
      } catch (error) {
        failures.push({ id: combo.id, error: error as Error });
        options.onResult?.(combo.id, error as Error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, combos.length) }, worker));
  return failures;
}
