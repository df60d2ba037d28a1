import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Run, Step, configureClient, namespace } from '@flowkit/client';
import { Settings, artifactToJson } from '@flowkit/core';
import type { Checker } from './template';

const run = promisify(execFile);

/** Where a finished run lives and how to reach it. */
export interface RunLocation {
  flowFile: string;
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

/** Reads results the way a user at a terminal does: `flowkit dump --file` and `flowkit logs`. */
export function cliChecker(location: RunLocation, flowkitBin: string): Checker {
  const cli = (args: string[]) => run(process.execPath, [flowkitBin, ...args, ...location.backendArgs, '--namespace', ''], { cwd: location.dir, env: { ...process.env, ...location.env }, maxBuffer: 1 << 28 });
  const dumps = new Map<string, Promise<Record<string, Record<string, unknown>>>>();
  // `tag list` prints the user tags as JSON strings on its first line, the system tags on its second.
  const tagList = async (): Promise<[string[], string[]]> => {
    const { stdout } = await cli(['tag', 'list', location.flowFile, '--run-id', location.runId]);
    const [user = '', system = ''] = stdout.split('\n');
    return [[...user.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`) as string), system.replace(/^.* system tags: /, '').split(', ').filter(Boolean)];
  };
  return {
    name: 'cli',
    async artifacts(step) {
      // One dump per step keeps each file small even when a wide foreach carries large artifacts.
      if (!dumps.has(step)) {
        dumps.set(step, (async () => {
          const file = join(location.dir, `dump-${location.runId}-${step}.json`);
          await cli(['dump', location.flowFile, `${location.runId}/${step}`, '--file', file]);
          return JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>;
        })());
      }
      const prefix = `${location.flowName}/${location.runId}/${step}/`;
      return Object.entries(await (dumps.get(step) as Promise<Record<string, Record<string, unknown>>>))
        .sort(([a], [b]) => Number(a.slice(prefix.length)) - Number(b.slice(prefix.length)))
        .map(([, artifacts]) => artifacts);
    },
    async log(step, stream) {
      const { stdout } = await cli(['logs', location.flowFile, `${location.runId}/${step}`, ...(stream === 'stderr' ? ['--stderr'] : [])]);
      return stdout.replace(/^--- .*\n/gm, '');
    },
    async tags() {
      return (await tagList())[0];
    },
    async systemTags() {
      return (await tagList())[1];
    },
    async addTags(tags) {
      await cli(['tag', 'add', location.flowFile, ...tags, '--run-id', location.runId]);
    },
    async removeTags(tags) {
      await cli(['tag', 'remove', location.flowFile, ...tags, '--run-id', location.runId]);
    },
    async replaceTags(remove, add) {
      await cli(['tag', 'replace', location.flowFile, '--run-id', location.runId, ...remove.flatMap((t) => ['--remove', t]), ...add.flatMap((t) => ['--add', t])]);
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
