/**
 * `@flowkit/core`: what a flow file and a user's script need. Plugin authors import `@flowkit/core/plugin`;
 * FlowKit's own packages also `@flowkit/core/internal`. All three re-export the same modules, so a flow, its
 * plugins and the runtime share one registry and one `current`.
 */
export { FlowSpec } from './flowspec';
export type { Inputs } from './flowspec';
export { step } from './decorators';
export { Parameter } from './parameter';
export type { ParameterContext } from './parameter';
export { IncludeFile } from './includeFile';
export { current } from './current';
export { retry, timeout, resources, environment, catchError, globalEnvironment } from './builtins';
export type { CaughtException } from './builtins';
export { main } from './main';
export { FlowKitError, FlowDefinitionError, ParameterError, TransitionError, MergeArtifactsError, ArtifactError, PathspecError, DataStoreError, MetadataError, PluginError, ConfigError } from './errors';
