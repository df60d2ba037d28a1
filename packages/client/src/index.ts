export { Metaflow, Flow, Run, Step, Task, DataArtifact } from './objects';
export type { DataAccessor } from './objects';
export type { RunGraph, RunGraphStep } from '@flowkit/core/plugin';
export { namespace, getNamespace, defaultNamespace, NamespaceError } from './namespace';
export { configureClient } from './context';
export type { ClientOptions } from './context';
