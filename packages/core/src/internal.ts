/**
 * `@flowkit/core/internal`: what FlowKit's own packages (runtime, CLI, client, graph, backends) share beyond the
 * user and plugin entries. No compatibility promise: a third-party plugin imports `@flowkit/core/plugin` only.
 */
export { bindTask, RESERVED_NAMES, artifactNameClash } from './flowspec';
export type { MergeOptions, NextOptions } from './flowspec';
export { isStepMethod, stepDecoratorsOf, flowDecoratorsOf } from './decorators';
export { parametersOf, parameterValues } from './parameter';
export { readIncludedFiles } from './includeFile';
export { bindCurrent } from './current';
export { formatError, errorType } from './errors';
export type { SourceLocation } from './errors';
export { discoverPluginModules, usePlugins } from './discovery';
export { backendNames, openBackends, openDataStore, openMetadataProvider } from './backends';
export { commandLine, warnOfUnknownDebugTopics } from './debug';
export type { BackendOptions } from './backends';
export { sha256, artifactToJson } from './serialization';
export { mapLimit } from './concurrency';
export { mapStacksOfBundle, sourceLocationOf } from './stackTrace';
export { makeDirectory, writeFileAtomically } from './files';
export { printable } from './terminal';
