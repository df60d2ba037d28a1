import { closeSync, openSync, writeSync } from 'node:fs';
import { inspect } from 'node:util';
import { artifactToJson, printable, type BackendOptions } from '@flowkit/core/internal';
import { FlowKitError, PathspecError, formatTable, loadConfig, validateId, type RunRecord } from '@flowkit/core/plugin';
import { Flow, Metaflow, Run, Task, configureClient, namespace } from '@flowkit/client';
import { dirname } from 'node:path';
import { cachedGraph, codeCacheDir, resolveFlowFile } from '../flow';
import { checkOutputFile } from '../usage';

export interface ReadOptions extends BackendOptions {
  namespace?: string;
}

/** Points the client at the flow's datastore and picks the namespace (`--namespace ''` reads all). */
export function openClient(flowDir: string, options: ReadOptions): void {
  configureClient({ flowDir, datastore: options.datastore, datastoreRoot: options.datastoreRoot, metadata: options.metadata });
  if (options.namespace !== undefined) namespace(options.namespace === '' ? null : options.namespace);
}

/** A flow argument is a flow file (its class names the flow; read from the graph cache) or a flow name. */
export async function flowNameOf(flow: string): Promise<{ name: string; dir: string }> {
  if (/\.(c|m)?[jt]sx?$/.test(flow)) {
    const dir = dirname(resolveFlowFile(flow));
    return { name: (await cachedGraph(flow, codeCacheDir(dir, loadConfig()))).graph.flowName, dir };
  }
  return { name: validateId('flow', flow), dir: process.cwd() };
}

/** The tasks a `RUN[/STEP[/TASK]]` argument names. */
async function tasksOf(flowName: string, spec: string): Promise<Task[]> {
  const [runId, stepName, taskId, extra] = spec.split('/');
  if (!runId || extra !== undefined) throw new PathspecError(`'${spec}' is not RUN[/STEP[/TASK]].`, { hint: 'e.g. 12, 12/train or 12/train/7' });
  const run = new Run(`${flowName}/${runId}`);
  if (taskId !== undefined) return [new Task(`${flowName}/${runId}/${stepName}/${taskId}`)];
  if (stepName !== undefined) return run.step(stepName).tasks();
  const steps = await run.steps();
  return (await Promise.all(steps.map((s) => s.tasks()))).flat();
}

function preview(value: unknown): string {
  const text = printable(inspect(value, { depth: 2, maxArrayLength: 10, maxStringLength: 200, breakLength: Infinity, compact: true }));
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function size(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : bytes < 1024 ** 2 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

/**
 * `flowkit dump`: every task's artifacts with type, size and a preview. With --file, all values go to a
 * JSON object keyed by task pathspec, written task by task so a large run never becomes one huge string.
 */
export async function dumpCommand(flow: string, spec: string, options: ReadOptions & { include?: string; file?: string }): Promise<number> {
  const { name, dir } = await flowNameOf(flow);
  openClient(dir, options);
  const include = options.include?.split(',').map((s) => s.trim()).filter(Boolean);
  if (options.file !== undefined) checkOutputFile('file', options.file);
  const tasks = await tasksOf(name, spec);
  const file = options.file === undefined ? undefined : openSync(options.file, 'w');
  let written = 0;
  const seen = new Set<string>();
  try {
    if (file !== undefined) writeSync(file, '{');
    for (const task of tasks) {
      if (process.stdout.destroyed && file === undefined) break;
      if (!(await task.finished)) {
        process.stdout.write(`Task ${printable(task.pathspec)}: did not finish\n\n`);
        continue;
      }
      const all = await task.artifacts();
      all.forEach((a) => seen.add(a.id));
      const artifacts = all.filter((a) => !include || include.includes(a.id));
      process.stdout.write(`Task ${printable(task.pathspec)} (attempt ${await task.currentAttempt})\n`);
      const width = Math.max(8, ...artifacts.map((a) => printable(a.id).length));
      const values: Record<string, unknown> = {};
      for (const artifact of artifacts) {
        values[artifact.id] = await artifact.data;
        process.stdout.write(`  ${printable(artifact.id).padEnd(width)}  ${printable(artifact.type).padEnd(12)}  ${size(artifact.size).padStart(9)}  ${preview(values[artifact.id])}\n`);
      }
      process.stdout.write('\n');
      if (file !== undefined) writeSync(file, `${written++ === 0 ? '' : ','}\n${JSON.stringify(task.pathspec)}: ${artifactToJson(values, 2)}`);
    }
    if (file !== undefined) writeSync(file, '\n}\n');
  } finally {
    if (file !== undefined) closeSync(file);
  }
  if (options.file) process.stdout.write(`Artifacts of ${written} task${written === 1 ? '' : 's'} written to ${options.file}\n`);
  const missing = include?.filter((name) => !seen.has(name)) ?? [];
  if (missing.length > 0) {
    throw new PathspecError(`No finished task of ${name} ${spec} has ${missing.map((n) => `artifact '${n}'`).join(', ')}.`, { hint: `its artifacts: ${[...seen].sort().join(', ') || 'none'}` });
  }
  return 0;
}

/**
 * `flowkit logs`: what the tasks of a run, a step or one task printed (stdout, or stderr), for the latest or
 * a given attempt. Several tasks each get a `--- <pathspec>` line before their output, on a line of its own.
 */
export async function logsCommand(flow: string, spec: string, options: ReadOptions & { stderr?: boolean; attempt?: number }): Promise<number> {
  const { name, dir } = await flowNameOf(flow);
  openClient(dir, options);
  const tasks = await tasksOf(name, spec);
  let lineOpen = false;
  for (const task of tasks) {
    if (process.stdout.destroyed) break;
    // The header is FlowKit's line, escaped; the log is the task's own output, printed as it was written.
    if (tasks.length > 1) process.stdout.write(`${lineOpen ? '\n' : ''}--- ${printable(task.pathspec)}\n`);
    const log = await task.log(options.stderr ? 'stderr' : 'stdout', options.attempt);
    process.stdout.write(log);
    lineOpen = log !== '' && !log.endsWith('\n');
  }
  return 0;
}

/** `flowkit tag add|remove|replace|list`. */
export async function tagCommand(action: string, flow: string, options: ReadOptions & { runId?: string; tags: string[]; remove?: string[]; add?: string[] }): Promise<number> {
  const { name, dir } = await flowNameOf(flow);
  openClient(dir, options);
  const run = options.runId ? new Run(`${name}/${options.runId}`) : await new Flow(name).latestRun();
  let tags: string[];
  if (action === 'add') tags = await run.addTags(...options.tags);
  else if (action === 'remove') tags = await run.removeTags(...options.tags);
  else if (action === 'replace') tags = await run.replaceTags(options.remove ?? [], options.add ?? options.tags);
  else tags = await run.tags;
  process.stdout.write(`${printable(run.pathspec)} tags: ${tags.map((t) => `"${printable(t)}"`).join(', ') || '(none)'}\n`);
  if (action === 'list') process.stdout.write(`${printable(run.pathspec)} system tags: ${printable((await run.systemTags).join(', '))}\n`);
  return 0;
}

/**
 * A run's state as its record says (its scheduler's word, or a service that gave up on its heartbeat); a run
 * recorded without an end is running, or its scheduler was stopped before it could record one (killed).
 */
async function runState(run: Run, record: RunRecord): Promise<string> {
  if (record.status === 'succeeded' || record.status === 'failed') return record.status;
  return (await run.successful) ? 'succeeded' : 'running or stopped';
}

/** `flowkit status` / `flowkit list flows`: each flow with its latest run and its state. */
export async function statusCommand(options: ReadOptions & { flow?: string }): Promise<number> {
  const named = options.flow ? await flowNameOf(options.flow) : undefined;
  openClient(named?.dir ?? process.cwd(), options);
  const flows = named ? [new Flow(named.name)] : await new Metaflow().flows();
  const rows = [['FLOW', 'LATEST RUN', 'USER', 'STARTED', 'STATE']];
  for (const flow of flows) {
    const [run] = await flow.runs();
    if (!run) {
      rows.push([flow.id, '-', '-', '-', 'no runs']);
      continue;
    }
    const record = await run.record();
    rows.push([flow.id, run.id, record.user, new Date(record.createdAt).toISOString(), await runState(run, record)]);
  }
  process.stdout.write(`${rows.length > 1 ? formatTable(rows) : 'No flows have run here yet.'}\n`);
  return 0;
}

/** `flowkit list runs FLOW`: the flow's runs, newest first. */
export async function listRunsCommand(flow: string, options: ReadOptions): Promise<number> {
  const { name, dir } = await flowNameOf(flow);
  openClient(dir, options);
  const rows = [['RUN', 'USER', 'STARTED', 'STATE', 'TAGS']];
  for (const run of await new Flow(name).runs()) {
    const record = await run.record();
    rows.push([run.id, record.user, new Date(record.createdAt).toISOString(), await runState(run, record), record.tags.join(', ')]);
  }
  if (rows.length === 1) throw new FlowKitError(`${name} has no runs here.`, { hint: 'run it first, or pass --namespace "" to see every user' });
  process.stdout.write(`${formatTable(rows)}\n`);
  return 0;
}
