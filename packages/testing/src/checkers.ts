import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Run, Step, configureClient, namespace } from '@flowkit/client';
import { artifactToJson } from '@flowkit/core/internal';
import { Settings } from '@flowkit/core/plugin';
import type { Checker } from './template';

const run = promisify(execFile);

/** Where a finished run lives and how to reach it. */
export interface RunLocation {
  flowName: string;
  runId: string;
  dir: string;
  env: Record<string, string>;
  /** Backend options passed to the CLI (`--datastore`, `--datastore-root`, `--metadata`). */
  backendArgs: string[];
}

/** JSON round trip, so values read through the CLI (dump --file) and the client compare alike. */
function plain(value: unknown): unknown {
  return JSON.parse(artifactToJson(value));
}

/**
 * Reads results the way a user at a terminal does: `flowkit dump --file`, `flowkit logs` and `flowkit tag`,
 * naming the flow (a flow file works too, but the name is what a user reading old runs types). A finished
 * run never changes, so one dump and one `logs` per stream of the whole run answer every step; with
 * `dumpEachStep` (artifacts too large to hold a whole run's values in one JSON text) a dump per step.
 */
export function cliChecker(location: RunLocation, flowkitBin: string, options: { dumpEachStep?: boolean } = {}): Checker {
  const cli = (args: string[]) => run(process.execPath, [flowkitBin, ...args, ...location.backendArgs, '--namespace', ''], { cwd: location.dir, env: { ...process.env, ...location.env }, maxBuffer: 1 << 28 });
  const flow = location.flowName;
  const dumps = new Map<string, Promise<Map<string, Array<Record<string, unknown>>>>>();
  const dump = (spec: string) => {
    if (!dumps.has(spec)) {
      dumps.set(spec, (async () => {
        const file = join(location.dir, `dump-${spec.replace('/', '-')}.json`);
        await cli(['dump', flow, spec, '--file', file]);
        const byStep = new Map<string, Array<[string, Record<string, unknown>]>>();
        for (const [pathspec, artifacts] of Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>)) {
          const [, , step = '', taskId = ''] = pathspec.split('/');
          byStep.set(step, [...(byStep.get(step) ?? []), [taskId, artifacts]]);
        }
        // Task ids in creation order: numbers here (`10` after `9`), foreach indices under an orchestrator (`t-10` after `t-9`).
        return new Map([...byStep].map(([step, tasks]) => [step, tasks.sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true })).map(([, artifacts]) => artifacts)]));
      })());
    }
    return dumps.get(spec) as Promise<Map<string, Array<Record<string, unknown>>>>;
  };
  // `logs RUN` prints every task's output after a `--- Flow/run/step/task` line.
  const logs = new Map<string, Promise<Map<string, string>>>();
  const runLogs = (stream: 'stdout' | 'stderr') => {
    if (!logs.has(stream)) {
      logs.set(stream, (async () => {
        const { stdout } = await cli(['logs', flow, location.runId, ...(stream === 'stderr' ? ['--stderr'] : [])]);
        const header = new RegExp(`^--- ${flow}/${location.runId}/([^/\\n]+)/[^/\\n]+\\n`, 'gm');
        const byStep = new Map<string, string>();
        const heads = [...stdout.matchAll(header)];
        heads.forEach((head, i) => {
          const step = head[1] as string;
          byStep.set(step, (byStep.get(step) ?? '') + stdout.slice((head.index as number) + head[0].length, heads[i + 1]?.index ?? stdout.length));
        });
        return byStep;
      })());
    }
    return logs.get(stream) as Promise<Map<string, string>>;
  };
  // `tag list` prints the user tags as JSON strings on its first line, the system tags on its second.
  const tagList = async (): Promise<[string[], string[]]> => {
    const { stdout } = await cli(['tag', 'list', flow, '--run-id', location.runId]);
    const [user = '', system = ''] = stdout.split('\n');
    return [[...user.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`) as string), system.replace(/^.* system tags: /, '').split(', ').filter(Boolean)];
  };
  return {
    name: 'cli',
    async artifacts(step) {
      return (await dump(options.dumpEachStep ? `${location.runId}/${step}` : location.runId)).get(step) ?? [];
    },
    async log(step, stream) {
      return (await runLogs(stream)).get(step) ?? '';
    },
    async tags() {
      return (await tagList())[0];
    },
    async systemTags() {
      return (await tagList())[1];
    },
    async addTags(tags) {
      await cli(['tag', 'add', flow, ...tags, '--run-id', location.runId]);
    },
    async removeTags(tags) {
      await cli(['tag', 'remove', flow, ...tags, '--run-id', location.runId]);
    },
    async replaceTags(remove, add) {
      await cli(['tag', 'replace', flow, '--run-id', location.runId, ...remove.flatMap((t) => ['--remove', t]), ...add.flatMap((t) => ['--add', t])]);
    },
    async run() {
      return undefined;
    },
  };
}

/** Reads results from code, through @flowkit/client. */
export function clientChecker(location: RunLocation, datastoreRoot: string): Checker {
  // The context picks the datastore; a remote one takes its root from the environment (FLOWKIT_DATASTORE_SYSROOT_S3).
  const datastore = location.env.FLOWKIT_DEFAULT_DATASTORE ?? 'local';
  const open = () => {
    // The context's metadata provider (service contexts set it in their environment, which this process does not share).
    configureClient({ flowDir: location.dir, datastore, datastoreRoot: datastore === 'local' ? datastoreRoot : undefined, metadata: location.env[Settings.defaultMetadata] });
    namespace(null);
  };
  return {
    name: 'client',
    async artifacts(step) {
      open();
      const tasks = await new Step(`${location.flowName}/${location.runId}/${step}`).tasks();
      const result: Array<Record<string, unknown>> = [];
      for (const task of tasks) {
        if (!(await task.finished)) continue;
        const values: Record<string, unknown> = {};
        for (const artifact of await task.artifacts()) values[artifact.id] = plain(await artifact.data);
        result.push(values);
      }
      return result;
    },
    async log(step, stream) {
      open();
      const tasks = await new Step(`${location.flowName}/${location.runId}/${step}`).tasks();
      return (await Promise.all(tasks.map((t) => t.log(stream)))).join('');
    },
    async tags() {
      open();
      return new Run(`${location.flowName}/${location.runId}`).tags;
    },
    async systemTags() {
      open();
      return new Run(`${location.flowName}/${location.runId}`).systemTags;
    },
    async addTags(tags) {
      open();
      await new Run(`${location.flowName}/${location.runId}`).addTags(...tags);
    },
    async removeTags(tags) {
      open();
      await new Run(`${location.flowName}/${location.runId}`).removeTags(...tags);
    },
    async replaceTags(remove, add) {
      open();
      await new Run(`${location.flowName}/${location.runId}`).replaceTags(remove, add);
    },
    async run() {
      open();
      return new Run(`${location.flowName}/${location.runId}`);
    },
  };
}
