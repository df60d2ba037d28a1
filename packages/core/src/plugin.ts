/**
 * `@flowkit/core/plugin`: what a plugin package builds on (datastores, metadata providers, decorators, compute,
 * sidecars, serializers, CLI commands): the interfaces, the registry, settings, the datastore layout and its
 * records, and the errors a plugin throws. Names a flow file uses come from `@flowkit/core`.
 */
export { PluginRegistry, RUN_EVENT_SCHEMA, registry } from './plugins';
export type {
  CliContext,
  CliExtension,
  CommandLine,
  DataStore,
  DataStoreFactory,
  EnvironmentContext,
  EnvironmentManager,
  FlowDecorator,
  FlowKitPlugin,
  MetadataProvider,
  MetadataProviderFactory,
  NewRun,
  PreparedEnvironments,
  PreparedFlow,
  RunEvent,
  Sidecar,
  StepDecorator,
  StepModules,
  StepOutcome,
  TaskEventIds,
  TaskHookContext,
  UrlReader,
} from './plugins';
export type { ComputeDecorator, LaunchedTask, Launcher, LauncherRun, LaunchPlan, PackagedFile, PublishedBlob, PublishedCodePackage, RemoteTaskCommand, TaskExit, TaskLaunch, TaskResources } from './launch';
export { makeStepDecorator, makeFlowDecorator } from './decorators';
export type { ClassDecorator, DecoratorSpec, MethodDecorator } from './decorators';
export { envVarsAttribute, formatTable, integer, nodeImage, numberAttribute, numberOption, positive, refuseUnknown, stringAttribute } from './attributes';
export type { CurrentTask } from './current';
export type { ParameterDefinition } from './parameter';
export type { FlowGraph, GraphStep, RunGraph, RunGraphStep, StepType } from './graph';
export { GRAPH_STEP, runGraphOf } from './graph';
export type { AttemptOutcome, AttemptRecord, AttemptStatus, RunFilter, RunRecord, RunStatus, TaskFilter, TaskInfo, TaskRecord, TaskRef } from './metadata';
export { applyTagChange } from './metadata';
export { chunksOf, byteLength } from './serialization';
export type { Bytes, Serializer } from './serialization';
export { ENVIRONMENTS_STEP, FlowDataStore, MAX_ATTEMPTS, isBlobKey } from './store';
export type { ArtifactRef, AttemptData, LogStream, StoredForeachFrame, Transition } from './store';
export { validateId, validateStorageKey, validateTags, parsePathspec } from './pathspec';
export type { PathspecKind } from './pathspec';
export { bearerToken, isLoopback, serveUntilStopped, tokenMatches } from './serve';
export { backendOptions, readOptions } from './cliOptions';
export { Config, Settings, hostSetting, loadConfig, remoteEnv, requireSecretReferences, resolveUser, secretSetting } from './config';
export { killSelectionOf, runSelectionOf, runSelectionOptions } from './runSelection';
export type { RunSelection } from './runSelection';
export { SyncWorker, defineSyncHandler } from './syncWorker';
export { DEBUG_TOPICS, debugLogger, redactSecrets } from './debug';
export type { DebugTopic } from './debug';
export { FlowKitError, FlowDefinitionError, ParameterError, TransitionError, MergeArtifactsError, ArtifactError, PathspecError, DataStoreError, MetadataError, PluginError, ConfigError, networkFailure } from './errors';
