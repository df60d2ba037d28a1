import { join } from 'node:path';
import { Settings, type FlowKitPlugin } from '@flowkit/core';
import { LocalDataStore } from './localDataStore';
import { LocalMetadataProvider } from './localMetadata';

export { LocalDataStore } from './localDataStore';
export { LocalMetadataProvider } from './localMetadata';

/** The embedded default: `.flowkit/` next to the flow holds data and records. */
export const plugin: FlowKitPlugin = {
  name: '@flowkit/datastore-local',
  register(registry) {
    registry.addDataStore({
      name: 'local',
      defaultRoot: (config, flowDir) => config.get(Settings.datastoreSysrootLocal) ?? join(flowDir, '.flowkit'),
      create: (root) => new LocalDataStore(root),
    });
    registry.addMetadataProvider({
      name: 'local',
      create: (_config, localRoot) => new LocalMetadataProvider(localRoot),
    });
  },
};
