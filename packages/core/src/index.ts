export { FlowSpec, bindTask } from './flowspec';
export type { ForeachFrame, Inputs, MergeOptions, NextOptions, StepNames, TaskBinding } from './flowspec';
export { step, makeStepDecorator, makeFlowDecorator, isStepMethod, stepDecoratorsOf, flowDecoratorsOf } from './decorators';
export type { ClassDecorator, DecoratorSpec, MethodDecorator } from './decorators';
export { Parameter, isParameterDefinition, parametersOf, parseParameterValue, defaultParameterValue, parameterEnvName, parameterValues } from './parameter';
export type { IncludeEncoding, ParameterContext, ParameterDefinition, ParameterOptions, ParameterType } from './parameter';
export { IncludeFile, readIncludedFiles } from './includeFile';
export type { IncludeFileOptions } from './includeFile';
export { current, bindCurrent } from './current';
export type { CurrentTask } from './current';
export {
  FlowKitError,
  FlowDefinitionError,
  ParameterError,
  TransitionError,
  MergeArtifactsError,
  ArtifactError,
  PathspecError,
  DataStoreError,
  MetadataError,
  PluginError,
  ConfigError,
  formatError,
  errorType,
} from './errors';
export type { SourceLocation } from './errors';
export type { FlowGraph, GraphStep, StepType } from './graph';
export type { AttemptRecord, AttemptStatus, RunFilter, RunRecord, RunStatus, TaskFilter, TaskInfo, TaskRecord, TaskRef } from './metadata';
export { applyTagChange } from './metadata';
export { PluginRegistry, registry } from './plugins';
export { discoverPluginModules, usePlugins } from './discovery';
export { backendNames, openBackends } from './backends';
export type { BackendOptions, Backends } from './backends';
export type {
  CliContext,
  CliExtension,
  DataStore,
  DataStoreFactory,
  FlowDecorator,
  FlowKitPlugin,
  MetadataProvider,
  MetadataProviderFactory,
  NewRun,
  PreparedFlow,
  RunEvent,
  Sidecar,
  StepDecorator,
  TaskHookContext,
  TaskNeeds,
  UrlReader,
} from './plugins';
export type { ComputeDecorator, LaunchedTask, Launcher, LauncherRun, LaunchPlan, PublishedCodePackage, RemoteTaskCommand, TaskLaunch, TaskResources } from './launch';
export { v8Serializer, typedArraySerializer, sha256, encodeBlob, decodeBlob, artifactToJson, chunksOf, byteLength } from './serialization';
export type { Bytes, Serializer } from './serialization';
export { FlowDataStore, MAX_ATTEMPTS, describeType, isBlobKey } from './store';
export type { ArtifactRef, AttemptData, LogStream, StoredForeachFrame, Transition } from './store';
export { validateId, validateStorageKey, validateTags, parsePathspec } from './pathspec';
export type { Pathspec, PathspecKind } from './pathspec';
export { Config, Settings, loadConfig, configHome, profilePath, resolveUser } from './config';
export { mapLimit } from './concurrency';
export { SyncWorker, defineSyncHandler } from './syncWorker';
export type { SyncHandlerFactory } from './syncWorker';
export { mapStacksOfBundle, sourceMappedStack } from './stackTrace';
export { writeFileAtomically } from './files';
export { main } from './main';
export { retry, timeout, resources, environment, catchError, globalEnvironment, builtinsPlugin, describeException } from './builtins';
export type { CaughtException } from './builtins';
