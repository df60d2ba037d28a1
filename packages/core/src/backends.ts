import { Settings, type Config } from './config';
import { registry, type DataStore, type DataStoreFactory, type MetadataProvider, type MetadataProviderFactory } from './plugins';
import { tracedDataStore, tracedMetadata } from './tracing';

export interface BackendOptions {
  datastore?: string;
  datastoreRoot?: string;
  metadata?: string;
}

export interface Backends {
  datastoreName: string;
  storage: DataStore;
  metadataName: string;
  metadata: MetadataProvider;
  /** Where local records and the code package cache live. */
  localRoot: string;
}

/**
 * Opens the datastore and metadata provider chosen by options, then settings, then the embedded
 * defaults (the local datastore and records). The CLI and the client both start here, so they always read the same place.
 */
export function openBackends(options: BackendOptions, config: Config, flowDir: string): Backends {
  const { datastoreName, metadataName } = backendNames(options, config);
  const factory = registry.dataStore(datastoreName);
  const root = options.datastoreRoot ?? config.get(Settings.datastoreRoot) ?? factory.defaultRoot(config, flowDir);
  const embedded = registry.embeddedDataStore();
  const localRoot = datastoreName === embedded.name ? root : embedded.defaultRoot(config, flowDir);
  return {
    datastoreName,
    storage: openDataStore(factory, root, config),
    metadataName,
    metadata: openMetadataProvider(registry.metadataProvider(metadataName), config, localRoot),
    localRoot,
  };
}

/** The datastore and metadata provider options choose: the options, then settings, then the embedded defaults. */
export function backendNames(options: BackendOptions, config: Config): { datastoreName: string; metadataName: string } {
  return {
    datastoreName: options.datastore ?? config.get(Settings.defaultDatastore) ?? registry.embeddedDataStore().name,
    metadataName: options.metadata ?? config.get(Settings.defaultMetadata) ?? registry.embeddedMetadataProvider().name,
  };
}

/** Every command, client and task opens its datastore here, so FLOWKIT_DEBUG=datastore sees each of its calls. */
export function openDataStore(factory: DataStoreFactory, root: string, config: Config): DataStore {
  return tracedDataStore(factory.create(root, config));
}

/** Every command, client and task opens its metadata provider here, so FLOWKIT_DEBUG=metadata sees each call. */
export function openMetadataProvider(factory: MetadataProviderFactory, config: Config, localRoot: string): MetadataProvider {
  return tracedMetadata(factory.create(config, localRoot));
}
