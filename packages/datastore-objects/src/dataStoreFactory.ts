import { ConfigError, type Config, type DataStore, type DataStoreFactory } from '@flowkit/core/plugin';
import type { ObjectUrlScheme } from './objectUrl';

/** `--datastore <name>` on an object store: the root is `--datastore-root`, else the `sysroot` setting. */
export function objectDataStoreFactory(name: string, sysroot: string, urls: ObjectUrlScheme, create: (root: string, config: Config) => DataStore): DataStoreFactory {
  return {
    name,
    defaultRoot(config) {
      const root = config.get(sysroot);
      if (!root) {
        throw new ConfigError(`--datastore ${name} needs a root, and none is configured.`, {
          hint: `pass --datastore-root ${urls.scheme}://bucket/prefix, or set ${sysroot}`,
        });
      }
      return root;
    },
    create,
  };
}
