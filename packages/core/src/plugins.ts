import 'reflect-metadata';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import { builtinsPlugin } from './builtins';
import type { Config } from './config';
import type { CurrentTask } from './current';
import { PluginError } from './errors';
import type { FlowSpec } from './flowspec';
import type { FlowGraph, GraphStep } from './graph';
import type { LaunchPlan, PackagedFile } from './launch';
import type { ParameterDefinition } from './parameter';
import type { AttemptOutcome, AttemptRecord, RunFilter, RunRecord, TaskFilter, TaskInfo, TaskRecord, TaskRef } from './metadata';
import type { Bytes, Serializer } from './serialization';
import type { ArtifactRef } from './store';

/** Byte storage under one root. Keys are `/`-separated; the layout on top of it is FlowDataStore's. */
export interface DataStore {
  /** Where it stores, as users write it: a directory, `s3://bucket/prefix`. */
  readonly root: string;
  /** Stores bytes (one buffer or chunks in order) atomically: readers see all of them or nothing. With ifAbsent an existing object is kept. */
  put(key: string, data: Bytes, options?: { ifAbsent?: boolean }): Promise<void>;
  /** Stores a local file's content, streaming (logs, large payloads). */
  putFile(key: string, path: string): Promise<void>;
  get(key: string): Promise<Buffer | undefined>;
  /** Synchronous read where the backend can; lets step code read artifacts lazily without await. */
  getSync?(key: string): Buffer | undefined;
  exists(key: string): Promise<boolean>;
  /**
   * A URL that reads the object with no credentials, valid for about `expiresSeconds` (presigned on an
   * object store, `file://` for a directory): how a task away from this machine fetches the code package.
   */
  url?(key: string, expiresSeconds: number): Promise<string>;
  /** Names directly under `prefix/` (files and folders), without the prefix. */
  list(prefix: string): Promise<string[]>;
  /**
   * Fails with a clear DataStoreError when the root cannot be used (a missing bucket, bad credentials);
   * `flowkit run` calls it before any task starts. Backends that fail clearly on first use may omit it.
   */
  check?(): Promise<void>;
}

export interface DataStoreFactory {
  readonly name: string;
  /**
   * The embedded default (FlowKit's own `local`): used when no datastore is chosen, and its default root is this
   * machine's local root, where local records and caches live whatever the run's datastore.
   */
  readonly embedded?: boolean;
  /** The root when none is configured; `flowDir` is the flow file's directory. */
  defaultRoot(config: Config, flowDir: string): string;
  create(root: string, config: Config): DataStore;
}

/** Reads the file behind a URL of one scheme (`s3://...`), for IncludeFile. */
export interface UrlReader {
  /** The URL scheme without `://`, e.g. `s3`. */
  readonly scheme: string;
  read(url: string, config: Config): Promise<Buffer>;
  /** The object's size in bytes without reading it (undefined: missing), so a file too large is refused before it is read. */
  size?(url: string, config: Config): Promise<number | undefined>;
}

/** What a new run is recorded with. */
export interface NewRun {
  user: string;
  tags: string[];
  systemTags: string[];
  originRunId?: string;
  runId?: string;
}

/** The record of runs, tasks and attempts; ids are allocated here. */
export interface MetadataProvider {
  readonly name: string;
  /**
   * Records a new run. Its id is allocated, unless an orchestrator gives it (`runId`): then recording the same
   * id again returns the run already recorded, so an engine may repeat the call, and no scheduler will send the
   * run's heartbeats (its tasks send their own).
   */
  newRun(flowName: string, run: NewRun): Promise<RunRecord>;
  /** Allocates a task id unless one is given (the `_parameters` pseudo-task is task 0). */
  newTask(ref: Omit<TaskRef, 'taskId'> & { taskId?: string }, info?: TaskInfo): Promise<TaskRecord>;
  startAttempt(ref: TaskRef, attempt: number): Promise<void>;
  finishAttempt(ref: TaskRef, attempt: number, outcome: AttemptOutcome): Promise<void>;
  listFlows(): Promise<string[]>;
  /** Newest first. */
  listRuns(flowName: string, filter?: RunFilter): Promise<RunRecord[]>;
  getRun(flowName: string, runId: string): Promise<RunRecord | undefined>;
  listSteps(flowName: string, runId: string): Promise<string[]>;
  /** In task id order. */
  listTasks(flowName: string, runId: string, stepName: string, filter?: TaskFilter): Promise<TaskRecord[]>;
  getTask(ref: TaskRef): Promise<TaskRecord | undefined>;
  listAttempts(ref: TaskRef): Promise<AttemptRecord[]>;
  /**
   * Adds and removes a run's user tags in one atomic update (concurrent updates never lose one another);
   * returns the resulting user tags. Use applyTagChange for the semantics.
   */
  updateTags(flowName: string, runId: string, change: { add: string[]; remove: string[] }): Promise<string[]>;
  /** Records how a run ended; the scheduler calls it last. */
  finishRun(flowName: string, runId: string, status: 'succeeded' | 'failed'): Promise<void>;
  /** Throws a clear error when the provider cannot be reached; called before a run starts, so nothing is half-recorded. */
  check?(): Promise<void>;
  /**
   * The scheduler of a run is alive and these tasks still run (a task an orchestrator runs sends its own, for
   * itself). A provider that tracks liveness (the service) marks a run and its running tasks failed when the
   * calls stop; a local provider needs none of it.
   */
  heartbeat?(flowName: string, runId: string, running: TaskRef[]): Promise<void>;
  /** The artifact index of a committed attempt, for providers that serve it beside the datastore's copy. */
  registerArtifacts?(ref: TaskRef, attempt: number, artifacts: Record<string, ArtifactRef>): Promise<void>;
  /** Facts about an attempt as key/value text (where it ran), for providers that keep them. */
  registerMetadata?(ref: TaskRef, attempt: number, entries: Record<string, string>): Promise<void>;
}

export interface MetadataProviderFactory {
  readonly name: string;
  /**
   * The records are files under the local root, which only this machine has (the local provider). A task
   * launched elsewhere then writes its own records under a scratch root, saves them to the datastore when
   * its attempt ends, and the scheduler copies them into the local root. The task's files must lie under
   * `<flow>/<run>/<step>/<task>/_meta/`.
   */
  readonly hostBound?: boolean;
  /** The embedded default, used when no metadata provider is chosen. */
  readonly embedded?: boolean;
  /** `localRoot` is the local datastore root, where local records live. */
  create(config: Config, localRoot: string): MetadataProvider;
}

/** What a step decorator sees inside the task process. */
export interface TaskHookContext {
  flow: FlowSpec;
  task: CurrentTask;
  attempt: number;
  /** Attempts that run user code; an attempt numbered this or above is the fallback attempt. */
  userAttempts: number;
  attributes: Record<string, unknown>;
}

export interface StepDecorator {
  readonly name: string;
  /** Checks and normalizes attributes before any task runs; throws PluginError naming the attribute. */
  validate?(attributes: Record<string, unknown>, step: GraphStep, graph: FlowGraph): Record<string, unknown>;
  /** Scheduler side, before each task launch. */
  onLaunch?(attributes: Record<string, unknown>, plan: LaunchPlan): void;
  /** Task side, before the user code runs. */
  beforeStep?(context: TaskHookContext): void | Promise<void>;
  /**
   * Task side, after the user code failed (in the fallback attempt: with why the earlier attempts failed).
   * Return true when the failure is handled: the step then succeeds and takes its declared transition.
   */
  onStepError?(context: TaskHookContext, error: unknown): boolean | Promise<boolean>;
  /**
   * Task side, once the step is over, whatever its outcome (after onStepError): artifacts it sets on
   * `context.flow` are stored with the step's. Throwing fails the task.
   */
  afterStep?(context: TaskHookContext, outcome: StepOutcome): void | Promise<void>;
}

/** How a step's user code ended, as afterStep sees it. */
export interface StepOutcome {
  /** The step succeeded, or a decorator's onStepError handled its failure. */
  ok: boolean;
  /** A decorator's onStepError handled the failure. */
  handled: boolean;
  /** What the user code threw, if it did. */
  error?: unknown;
}

export interface FlowDecorator {
  readonly name: string;
  validate?(attributes: Record<string, unknown>, graph: FlowGraph): Record<string, unknown>;
  /** Scheduler side, before each task launch (after the step's own decorators). */
  onLaunch?(attributes: Record<string, unknown>, step: GraphStep, plan: LaunchPlan): void;
}

/** A step's packages as an environment manager prepared them: where its tasks import them from, and which. */
export interface StepModules {
  /** A directory whose `node_modules` holds the step's packages (and what they depend on). */
  dir: string;
  /** The packages the step's own code may import: those it declared. */
  names: string[];
}

/** What an environment manager prepares a run's environments from. */
export interface EnvironmentContext {
  flowName: string;
  /** Per step, the packages it asks for (LaunchPlan.packages): name -> version or range. */
  requests: Record<string, Record<string, string>>;
  config: Config;
  /** What the origin run recorded (resume): the same environments are built again from it. */
  origin?: Record<string, unknown>;
  /** Tells the user what takes time (a build). */
  info(message: string): void;
}

/** A run's environments, ready before any task starts. */
export interface PreparedEnvironments {
  steps: Record<string, StepModules>;
  /** Stored with the run, a JSON value per step: all a later run needs to build the same environments. */
  record: Record<string, unknown>;
}

/**
 * Per-step dependency environments (`--environment NAME`, Metaflow's `--environment=conda`). With one, the code
 * package leaves the flow's imports of packages out of the bundle, and each task imports them from its step's
 * environment, only those the step declared.
 */
export interface EnvironmentManager {
  readonly name: string;
  /** How a step declares a package, for the error of an import it did not declare. */
  readonly declareHint: string;
  /** Run side, before the run is recorded: builds or finds every step's environment; throws naming the step and package. */
  prepare(context: EnvironmentContext): Promise<PreparedEnvironments>;
}

/** The version of the run events' shape: fields are only ever added within one version. */
export const RUN_EVENT_SCHEMA = 1;

/** A task's ids in a run event. */
export interface TaskEventIds {
  flowName: string;
  runId: string;
  stepName: string;
  taskId: string;
  /** `flow/run/step/task`. */
  pathspec: string;
  attempt: number;
}

/**
 * What the scheduler says as a run goes (`flowkit run --events FILE` writes each as a JSON line): every event has
 * `schema` (RUN_EVENT_SCHEMA), `type` and `time` (ISO 8601).
 */
export type RunEvent = { schema: number; time: string } & (
  | { type: 'run-started'; flowName: string; runId: string; user: string; tags: string[]; originRunId?: string }
  | ({ type: 'task-started'; where: string } & TaskEventIds)
  | ({ type: 'task-finished'; status: 'succeeded' | 'failed'; durationMs: number; cause?: string } & TaskEventIds)
  | { type: 'run-finished'; flowName: string; runId: string; status: 'succeeded' | 'failed'; durationMs: number; failure?: string }
);

/**
 * Hears about every run (event loggers, monitors). Events arrive in order, one at a time: the next waits until the
 * promise `event` returned settles. A sidecar never slows or fails a run: one that falls behind loses events past
 * a bounded queue (counted and reported at the end), one that throws is reported, and `close` is awaited briefly
 * when the run ends.
 */
export interface Sidecar {
  readonly name: string;
  /**
   * An event logger or a monitor (as Metaflow's) hears a run only when chosen (`--event-logger NAME`,
   * `--monitor NAME`, or the settings FLOWKIT_EVENT_LOGGER and FLOWKIT_MONITOR): one that exports to a service. A
   * sidecar without a role hears every run.
   */
  readonly role?: 'event-logger' | 'monitor';
  event(event: RunEvent): void | Promise<void>;
  close?(): Promise<void>;
}

/** A flow file linted and bundled as `run` does it: what a command that deploys a flow starts from. */
export interface PreparedFlow {
  file: string;
  flowDir: string;
  graph: FlowGraph;
  /**
   * The bundle of the flow and the plugins its tasks use: a local file `<sha>.cjs`, its source map beside it; and the
   * files of the flow's directory asked for by suffix (`--package-suffixes`), which tasks elsewhere get beside it.
   */
  codePackage: { path: string; sha: string; files?: PackagedFile[] };
  /** The environment manager the run's steps import their packages through (`--environment`), if any. */
  environment?: string;
  flowClass: new () => FlowSpec;
  /** Parameter definitions by field name. */
  parameters: Map<string, ParameterDefinition>;
  /** How a step launches (environment, attempts, timeout, resources, compute), its decorators validated. */
  launchPlan(stepName: string): LaunchPlan;
}

/** What the CLI gives the commands a plugin adds. */
export interface CliContext {
  readonly config: Config;
  /** Lints and bundles a flow file; `choices` as `run` takes them (`with` in `--with` form: `batch:cpu=2`). */
  prepareFlow(file: string, choices?: { datastore?: string; metadata?: string; with?: string[]; packageSuffixes?: string; environment?: string }): Promise<PreparedFlow>;
}

/** The part of the CLI's yargs 17 `Argv` an extension adds commands with (a plugin need not depend on yargs). */
export interface CommandLine {
  command(command: string, description: string, builder: (cli: CommandLine) => CommandLine, handler?: (args: Record<string, unknown>) => Promise<void>): CommandLine;
  positional(name: string, options: Record<string, unknown>): CommandLine;
  option(name: string, options: Record<string, unknown>): CommandLine;
  demandCommand(count: number, message: string): CommandLine;
  /** `strict(false)`: the command takes options it does not declare (a flow's parameters, read once the flow is loaded). */
  strict(enabled: boolean): CommandLine;
}

/** Adds commands to the `flowkit` CLI. */
export interface CliExtension {
  readonly name: string;
  register(cli: CommandLine, context: CliContext): void;
}

/** What a plugin package exports: one function that registers everything it provides. */
export interface FlowKitPlugin {
  readonly name: string;
  register(registry: PluginRegistry): void;
  /**
   * The module a run's code package takes instead of this one, when tasks need less than the CLI: it exports a
   * `plugin` of the same name registering only what tasks use (a datastore, a metadata provider, task-side
   * decorator hooks), so a task's bundle carries no CLI command, server or job-submitting SDK client.
   */
  readonly taskModule?: string;
}

const Tokens = {
  dataStore: Symbol.for('flowkit.DataStoreFactory'),
  metadata: Symbol.for('flowkit.MetadataProviderFactory'),
  stepDecorator: Symbol.for('flowkit.StepDecorator'),
  flowDecorator: Symbol.for('flowkit.FlowDecorator'),
  sidecar: Symbol.for('flowkit.Sidecar'),
  serializer: Symbol.for('flowkit.Serializer'),
  cli: Symbol.for('flowkit.CliExtension'),
  urlReader: Symbol.for('flowkit.UrlReader'),
  environment: Symbol.for('flowkit.EnvironmentManager'),
} as const;

/** What the tasks of a run use from plugins; a plugin that provides none of it stays out of the run's code package. */
export interface TaskNeeds {
  dataStores: string[];
  metadata: string;
  stepDecorators: string[];
  /** The flow's class decorators: a plugin's flow decorator (a scheduler's `@schedule`) must exist when the flow loads. */
  flowDecorators: string[];
}

/**
 * Where plugins put their implementations and the runtime finds them by name. Built-in backends
 * register through exactly this API; the runtime never names a backend.
 */
export class PluginRegistry {
  private readonly used = new Set<string>();
  /** What each plugin added, as `<kind>:<name>`. */
  private readonly provided = new Map<string, string[]>();
  /** Installed plugin packages that cannot be loaded, by name: why. */
  private readonly unloadable = new Map<string, string>();
  private registering?: string;

  constructor(private readonly container: DependencyContainer = rootContainer.createChildContainer()) {}

  use(plugin: FlowKitPlugin): this {
    if (!this.used.has(plugin.name)) {
      this.used.add(plugin.name);
      const outer = this.registering;
      this.registering = plugin.name;
      try {
        plugin.register(this);
      } finally {
        this.registering = outer;
      }
    }
    return this;
  }

  /**
   * Whether a task can use what the plugin added: one of the run's datastores or its metadata provider,
   * a step decorator the run uses, or any serializer (an artifact written with it may be read anywhere).
   * Scheduler-side and CLI-side parts (flow decorators, sidecars, commands, URL readers) never are.
   */
  usedByTasks(pluginName: string, needs: TaskNeeds): boolean {
    const wanted = new Set([
      ...needs.dataStores.map((name) => `datastore:${name}`),
      `metadata:${needs.metadata}`,
      ...needs.stepDecorators.map((name) => `step-decorator:${name}`),
      ...needs.flowDecorators.map((name) => `flow-decorator:${name}`),
    ]);
    return (this.provided.get(pluginName) ?? []).some((item) => wanted.has(item) || item.startsWith('serializer:'));
  }

  /** Notes an installed plugin package that cannot be loaded: only what finds nothing by name fails, and names it. */
  addUnloadable(packageName: string, reason: string): this {
    this.unloadable.set(packageName, reason);
    return this;
  }

  /** A sentence for errors about something missing, naming the packages that could not be loaded; empty when none. */
  unloadableNote(): string {
    if (this.unloadable.size === 0) return '';
    const packages = [...this.unloadable].map(([name, reason]) => `${name} (${reason})`).join(', ');
    return ` Installed plugin packages that cannot be loaded, which may provide it: ${packages}; build them (npm run build), reinstall them, or remove them.`;
  }

  addDataStore(factory: DataStoreFactory): this {
    return this.add(Tokens.dataStore, factory, `datastore:${factory.name}`);
  }

  addMetadataProvider(factory: MetadataProviderFactory): this {
    return this.add(Tokens.metadata, factory, `metadata:${factory.name}`);
  }

  addStepDecorator(decorator: StepDecorator): this {
    return this.add(Tokens.stepDecorator, decorator, `step-decorator:${decorator.name}`);
  }

  addFlowDecorator(decorator: FlowDecorator): this {
    return this.add(Tokens.flowDecorator, decorator, `flow-decorator:${decorator.name}`);
  }

  addSidecar(sidecar: Sidecar): this {
    return this.add(Tokens.sidecar, sidecar, `sidecar:${sidecar.name}`);
  }

  /** Serializers added later are tried first; v8 is the fallback. */
  addSerializer(serializer: Serializer): this {
    return this.add(Tokens.serializer, serializer, `serializer:${serializer.name}`);
  }

  addCliExtension(extension: CliExtension): this {
    return this.add(Tokens.cli, extension, `cli:${extension.name}`);
  }

  addUrlReader(reader: UrlReader): this {
    return this.add(Tokens.urlReader, reader, `url-reader:${reader.scheme}`);
  }

  addEnvironmentManager(manager: EnvironmentManager): this {
    return this.add(Tokens.environment, manager, `environment:${manager.name}`);
  }

  dataStore(name: string): DataStoreFactory {
    return this.named(Tokens.dataStore, name, 'datastore', '--datastore');
  }

  metadataProvider(name: string): MetadataProviderFactory {
    return this.named(Tokens.metadata, name, 'metadata provider', '--metadata');
  }

  /** The datastore used when none is chosen, whose default root is this machine's local root. */
  embeddedDataStore(): DataStoreFactory {
    return this.embedded<DataStoreFactory>(Tokens.dataStore, 'datastore');
  }

  embeddedMetadataProvider(): MetadataProviderFactory {
    return this.embedded<MetadataProviderFactory>(Tokens.metadata, 'metadata provider');
  }

  stepDecorator(name: string): StepDecorator {
    return this.named(Tokens.stepDecorator, name, 'step decorator', '--with / @decorator');
  }

  flowDecorator(name: string): FlowDecorator {
    return this.named(Tokens.flowDecorator, name, 'flow decorator', 'the class decorator');
  }

  environmentManager(name: string): EnvironmentManager {
    return this.named(Tokens.environment, name, 'environment', '--environment');
  }

  urlReader(scheme: string): UrlReader {
    return this.named(Tokens.urlReader, scheme, 'URL scheme', 'IncludeFile', (r) => r.scheme);
  }

  hasStepDecorator(name: string): boolean {
    return this.all<StepDecorator>(Tokens.stepDecorator).some((d) => d.name === name);
  }

  sidecars(): Sidecar[] {
    return this.all(Tokens.sidecar);
  }

  serializers(): Serializer[] {
    return this.all<Serializer>(Tokens.serializer).reverse();
  }

  cliExtensions(): CliExtension[] {
    return this.all(Tokens.cli);
  }

  private add(token: symbol, value: object, item: string): this {
    this.container.register(token, { useValue: value });
    if (this.registering) this.provided.set(this.registering, [...(this.provided.get(this.registering) ?? []), item]);
    return this;
  }

  private all<T>(token: symbol): T[] {
    return this.container.isRegistered(token) ? this.container.resolveAll<T>(token) : [];
  }

  private embedded<T extends { embedded?: boolean }>(token: symbol, what: string): T {
    const found = this.all<T>(token).filter((c) => c.embedded).pop();
    if (!found) throw new PluginError(`No embedded ${what} is installed.${this.unloadableNote()}`, { hint: 'install @flowkit/datastore-local, which FlowKit keeps its local records and caches in' });
    return found;
  }

  private named<T>(token: symbol, name: string, what: string, where: string, nameOf = (c: T) => (c as { name: string }).name): T {
    const candidates = this.all<T>(token);
    const found = candidates.filter((c) => nameOf(c) === name).pop();
    if (!found) {
      const known = candidates.map(nameOf).join(', ') || 'none';
      throw new PluginError(`Unknown ${what} '${name}' (${where}).${this.unloadableNote()}`, {
        hint: `known: ${known}; install the plugin package that provides it`,
      });
    }
    return found;
  }
}

const REGISTRY = Symbol.for('flowkit.registry');

/**
 * The process-wide registry the CLI and task processes load plugins into; FlowKit's own decorators come
 * first. One per process even when a flow's bundle carries its own copy of this module, so a plugin a
 * flow file registers is seen by the CLI that loaded the bundle.
 */
export const registry: PluginRegistry = ((globalThis as Record<symbol, PluginRegistry | undefined>)[REGISTRY] ??= new PluginRegistry().use(builtinsPlugin));
