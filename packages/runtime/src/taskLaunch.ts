import { readFileSync } from 'node:fs';
import { commandLine, sha256 } from '@flowkit/core/internal';
import {
  DataStoreError,
  debugLogger,
  Settings,
  remoteEnv,
  type Config,
  type DataStore,
  type FlowDataStore,
  type LaunchPlan,
  type PublishedBlob,
  type PublishedCodePackage,
  type RemoteTaskCommand,
  type TaskLaunch,
  type TaskRef,
} from '@flowkit/core/plugin';
import type { CodePackage } from './codePackage';
import { MODULE_SCOPE_VAR, type ModuleScope } from './moduleScope';
import { environmentFiles, packFiles } from './packageFiles';
import { encodeTaskArgs, type TaskArgs } from './taskArgs';

/** How long a code package URL stays valid: a job may wait in a queue for hours (7 days is S3's most). */
const URL_SECONDS = 7 * 24 * 3600;

export interface TaskLaunchOptions {
  store: FlowDataStore;
  storage: DataStore;
  datastoreName: string;
  codePackage: CodePackage;
  /** The run's settings as every task gets them (FLOWKIT_*), without the host's other variables. */
  runEnv: Record<string, string>;
}

/**
 * The run's settings as every task gets them wherever it runs (the run's datastore and metadata provider on top
 * of the FLOWKIT_* configuration), without the host's other variables: what a scheduler or deployer hands a task
 * (through `remoteEnv` when the task runs elsewhere).
 */
export function runSettings(config: Config, run: { datastoreName: string; storage: Pick<DataStore, 'root'>; metadataName: string }): Record<string, string> {
  return {
    ...config.toEnv(),
    [Settings.defaultDatastore]: run.datastoreName,
    [Settings.datastoreRoot]: run.storage.root,
    [Settings.defaultMetadata]: run.metadataName,
  };
}

/** A TaskLaunch that remembers whether it went remote: then the task saves its own logs and records. */
export interface TrackedLaunch extends TaskLaunch {
  readonly wentRemote: boolean;
}

/**
 * Describes each attempt for a launcher (the portable task spec) and, the first time a launcher asks for
 * a remote command, publishes the run's code package to its datastore.
 */
export class TaskLaunches {
  private published?: Promise<PublishedPackage>;
  /** The manifests published so far: the code package's alone (''), and with each step environment's directory here. */
  private readonly manifests = new Map<string, Promise<PublishedBlob>>();

  constructor(private readonly options: TaskLaunchOptions) {}

  describe(ref: TaskRef, args: TaskArgs, plan: LaunchPlan): TrackedLaunch {
    const env = { ...this.options.runEnv, ...plan.env };
    let wentRemote = false;
    return {
      ref,
      attempt: args.attempt,
      taskArgs: encodeTaskArgs(args),
      env,
      resources: plan.resources,
      // The fallback attempt runs no user code: the step's timeout is not its to keep (as in the scheduler).
      timeoutSeconds: args.attempt < plan.userAttempts ? plan.timeoutSeconds : undefined,
      get wentRemote() {
        return wentRemote;
      },
      remote: async (): Promise<RemoteTaskCommand> => {
        const published = await this.publish();
        const scope = env[MODULE_SCOPE_VAR];
        const manifest = await this.manifest(published, scope === undefined ? undefined : (JSON.parse(scope) as ModuleScope).dir);
        const first = !wentRemote;
        wentRemote = true;
        // Away from this machine there is no local root: the task keeps host-bound records in a scratch one.
        const taskArgs = encodeTaskArgs({ ...args, localRoot: undefined });
        const argv = bootstrapArgv(manifest, taskArgs);
        if (first) logRemoteCommand(ref, argv);
        return { argv, env: remoteEnv(env), codePackage: published.codePackage, bootstrap: { source: argv[2] as string, args: argv.slice(3) } };
      },
    };
  }

  /** The manifest of the code package, with a step's environment (one archive of its directory) when it has one. */
  private manifest(published: PublishedPackage, environmentDir: string | undefined): Promise<PublishedBlob> {
    let publishing = this.manifests.get(environmentDir ?? '');
    if (!publishing) {
      const { store, storage } = this.options;
      publishing = (async () => {
        if (environmentDir === undefined) return published.manifest;
        const archive = packFiles(environmentFiles(environmentDir));
        const sha = sha256(archive);
        const key = await store.saveCodePackageFiles(sha, archive);
        // publish() made sure the datastore makes URLs.
        const sign = presigned(storage);
        return publishManifest({ ...published.parts, environment: { sha, url: await sign(key) } }, store, sign);
      })();
      this.manifests.set(environmentDir ?? '', publishing);
    }
    return publishing;
  }

  private publish(): Promise<PublishedPackage> {
    const { store, storage, datastoreName, codePackage } = this.options;
    this.published ??= publishCodePackage(codePackage, store, storage, datastoreName);
    return this.published;
  }
}

/** FLOWKIT_DEBUG=subcommand: a remote task's command, once per launch, the bootstrap's source (kilobytes) elided. */
function logRemoteCommand(ref: TaskRef, argv: string[]): void {
  debugLogger('subcommand')?.(`remote ${ref.flowName}/${ref.runId}/${ref.stepName}/${ref.taskId}: ${commandLine(argv.slice(0, 2))} <bootstrap> ${commandLine(argv.slice(3))}`);
}

/**
 * What the bootstrap fetches, listed in one small JSON document it gets by a single URL (and checks by its sha256):
 * the parts' URLs, presigned and long, stay out of the task's command, which ECS caps at 8 KiB with its environment.
 */
interface BootstrapManifest {
  code: { url: string; sha: string };
  /** The source map: stack traces only, fetched when it can be. */
  map: string;
  files?: { url: string; sha: string };
  environment?: { url: string; sha: string };
}

/** A code package in a datastore: its parts, and the manifest listing them that a task's command names. */
export interface PublishedPackage {
  codePackage: PublishedCodePackage;
  parts: BootstrapManifest;
  manifest: PublishedBlob;
}

/** How a task elsewhere is told where a stored part is: a URL the bootstrap reads, from the part's datastore key. */
export type PartAddress = (key: string) => Promise<string>;

/** Presigned URLs, valid URL_SECONDS: a run's tasks start well within that (the datastore makes URLs). */
const presigned = (storage: DataStore): PartAddress => (key) => (storage.url as NonNullable<DataStore['url']>).call(storage, key, URL_SECONDS);

/**
 * Stores a run's code package (the bundle, and the files asked for by suffix as one archive), its source map and the
 * manifest listing them in the datastore, each addressed by its content (stored once), with URLs a task elsewhere
 * fetches them through: presigned for 7 days unless `address` says otherwise (a deployment that outlives them names
 * `s3://` locations, which the bootstrap reads with the job's credentials).
 */
export async function publishCodePackage(codePackage: CodePackage, store: FlowDataStore, storage: DataStore, datastoreName: string, address?: PartAddress): Promise<PublishedPackage> {
  if (!address && !storage.url) {
    throw new DataStoreError(`The '${datastoreName}' datastore cannot hand a task on another machine the code package (it makes no URLs).`, {
      hint: 'run with a datastore that can, e.g. --datastore s3',
    });
  }
  const sign = address ?? presigned(storage);
  const publishFiles = async (): Promise<PublishedBlob | undefined> => {
    if (!codePackage.files?.length) return undefined;
    const archive = packFiles(codePackage.files);
    const sha = sha256(archive);
    const key = await store.saveCodePackageFiles(sha, archive);
    return { sha, key, url: await sign(key) };
  };
  // Addressed by the file's own bytes (CodePackage.sha is esbuild's output, before the source map line).
  const code = readFileSync(codePackage.path);
  const sha = sha256(code);
  const key = await store.saveCodePackage(sha, code, readFileSync(`${codePackage.path}.map`));
  const [url, map, files] = await Promise.all([sign(key), sign(`${key}.map`), publishFiles()]);
  const parts: BootstrapManifest = { code: { url, sha }, map, ...(files && { files: { url: files.url, sha: files.sha } }) };
  return { codePackage: { sha, key, url, ...(files && { files }) }, parts, manifest: await publishManifest(parts, store, sign) };
}

async function publishManifest(parts: BootstrapManifest, store: FlowDataStore, sign: PartAddress): Promise<PublishedBlob> {
  const json = Buffer.from(JSON.stringify(parts));
  const sha = sha256(json);
  const key = await store.saveCodePackageManifest(sha, json);
  return { sha, key, url: await sign(key) };
}

let bootstrap: string | undefined;

/**
 * The bootstrap's source as a command carries it: minified, without comments (`node -e` wraps the source in a
 * function, so a trailing source map comment would swallow its closing brace), for ECS caps a job's command and
 * environment at 8 KiB.
 */
function bootstrapSource(): string {
  // Loaded here, not at the top: a run that sends no task elsewhere never loads esbuild.
  const { transformSync } = require('esbuild') as typeof import('esbuild');
  bootstrap ??= transformSync(readFileSync(require.resolve('./bootstrap'), 'utf8'), { minify: true, legalComments: 'none', platform: 'node', target: 'node20' }).code;
  return bootstrap;
}

/** The command that runs a task (`step ...`, or `init ...`) through the bootstrap: the image needs only Node. */
export function bootstrapArgv(manifest: Pick<PublishedBlob, 'url' | 'sha'>, taskArgs: string[]): string[] {
  return ['node', '-e', bootstrapSource(), manifest.url, manifest.sha, ...taskArgs];
}
