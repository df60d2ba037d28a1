import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Settings, type FlowKitPlugin } from '@flowkit/core/plugin';
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
      embedded: true,
      defaultRoot: (config, flowDir) => config.get(Settings.datastoreSysrootLocal) ?? nearestRoot(flowDir),
      create: (root) => new LocalDataStore(root),
    });
    registry.addMetadataProvider({
      name: 'local',
      embedded: true,
      hostBound: true,
      create: (_config, localRoot) => new LocalMetadataProvider(localRoot),
    });
  },
};

/**
 * The `.flowkit/` in the directory or the nearest one above it (so the client finds runs from a
 * subdirectory, as Metaflow finds `.metaflow/`); a new one beside the flow when there is none.
 */
function nearestRoot(dir: string): string {
  for (let current = resolve(dir); ; current = dirname(current)) {
    if (existsSync(join(current, '.flowkit'))) return join(current, '.flowkit');
    if (dirname(current) === current) return join(resolve(dir), '.flowkit');
  }
}
