import { current } from '@flowkit/core';
import { discoverPluginModules, openBackends, usePlugins, warnOfUnknownDebugTopics } from '@flowkit/core/internal';
import { FlowDataStore, loadConfig, registry, resolveUser, type DataStore, type MetadataProvider } from '@flowkit/core/plugin';

/** Where the client reads from; by default what `flowkit run` would use from the working directory. */
export interface ClientOptions {
  datastore?: string;
  datastoreRoot?: string;
  metadata?: string;
  /** The directory a flow ran from (where its `.flowkit/` is); default: the working directory. */
  flowDir?: string;
}

export interface ClientContext {
  storage: DataStore;
  metadata: MetadataProvider;
  user: string;
  store(flowName: string): FlowDataStore;
}

let options: ClientOptions = {};
let context: ClientContext | undefined;

/** Points the client at a datastore and metadata provider (the defaults come from settings). */
export function configureClient(next: ClientOptions): void {
  options = { ...next };
  context = undefined;
}

/** The shared connection, opened on first use; every read goes through the plugin interfaces only. */
export function clientContext(): ClientContext {
  if (context) return context;
  const config = loadConfig();
  const flowDir = options.flowDir ?? process.cwd();
  // Inside a task the flow's bundle already registered its plugins, and the command that launched it warned.
  if (!current.isRunningFlow) {
    warnOfUnknownDebugTopics();
    usePlugins(discoverPluginModules([flowDir, __dirname], config));
  }
  const { storage, metadata } = openBackends(options, config, flowDir);
  const stores = new Map<string, FlowDataStore>();
  context = {
    storage,
    metadata,
    user: resolveUser(config),
    store(flowName) {
      if (!stores.has(flowName)) stores.set(flowName, new FlowDataStore(storage, flowName, registry.serializers()));
      return stores.get(flowName) as FlowDataStore;
    },
  };
  return context;
}
