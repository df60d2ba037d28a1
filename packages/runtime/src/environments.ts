import { ConfigError, ENVIRONMENTS_STEP, registry, type Config, type FlowDataStore, type FlowGraph, type LaunchPlan, type MetadataProvider, type TaskRef } from '@flowkit/core/plugin';
import type { RunConsole } from './console';
import { MODULE_SCOPE_VAR, type ModuleScope } from './moduleScope';
import { recordRunValues } from './runValues';

/** A run's prepared environments: each step's task variables, and the record the run stores. */
export interface RunEnvironments {
  /** The variables a step's tasks get: where they import the step's packages from. */
  env(stepName: string): Record<string, string>;
  record: Record<string, unknown>;
}

/**
 * Builds or finds every step's environment with the manager `--environment` names, before the run is recorded
 * (an unknown package fails the run before it exists). A resumed run gets the origin run's environments again.
 */
export async function prepareEnvironments(options: {
  name: string;
  graph: FlowGraph;
  launchPlan: (stepName: string) => LaunchPlan;
  config: Config;
  console: RunConsole;
  store: FlowDataStore;
  originRunId?: string;
}): Promise<RunEnvironments> {
  const manager = registry.environmentManager(options.name);
  const requests = Object.fromEntries(Object.keys(options.graph.steps).map((step) => [step, options.launchPlan(step).packages ?? {}]));
  const origin = options.originRunId === undefined ? undefined : await originRecord(options.store, options.originRunId);
  const prepared = await manager.prepare({ flowName: options.graph.flowName, requests, config: options.config, origin, info: (message) => options.console.info(message) });
  return {
    record: prepared.record,
    env(stepName): Record<string, string> {
      const modules = prepared.steps[stepName];
      if (!modules) return {};
      const scope: ModuleScope = { step: stepName, dir: modules.dir, names: modules.names, declareHint: manager.declareHint };
      return { [MODULE_SCOPE_VAR]: JSON.stringify(scope) };
    },
  };
}

/** Stores what the run's environments were built from with the run, as the artifacts of `_environments/0`. */
export function recordEnvironments(store: FlowDataStore, metadata: MetadataProvider, runId: string, record: Record<string, unknown>): Promise<void> {
  return recordRunValues(store, metadata, runId, ENVIRONMENTS_STEP, record);
}

/** What a run's environments were built from, by step; undefined for a run without environments. */
export async function loadEnvironmentRecord(store: FlowDataStore, runId: string): Promise<Record<string, unknown> | undefined> {
  const latest = await store.readLatest({ flowName: store.flowName, runId, stepName: ENVIRONMENTS_STEP, taskId: '0' });
  if (!latest) return undefined;
  const entries = await Promise.all(Object.entries(latest.data.artifacts).map(async ([step, ref]) => [step, await store.loadValue(ref)] as const));
  return Object.fromEntries(entries);
}

async function originRecord(store: FlowDataStore, originRunId: string): Promise<Record<string, unknown>> {
  const record = await loadEnvironmentRecord(store, originRunId);
  if (!record) {
    throw new ConfigError(`Run ${store.flowName}/${originRunId} ran without --environment, so its steps have no environments to resume with.`, {
      hint: 'resume it without --environment, or start a new run',
    });
  }
  return record;
}
