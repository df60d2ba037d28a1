import { Config, ConfigError, defineSyncHandler, type FlowKitPlugin } from '@flowkit/core/plugin';
import { S3 } from './datatools';
import { S3DataStore, SYNC_GET_HANDLER, type SyncGetInit } from './s3DataStore';
import { S3Settings } from './settings';

export { S3, S3Object } from './datatools';
export type { PutFileItem, PutItem, RunScope, S3ClientOptions } from './datatools';
export { S3DataStore } from './s3DataStore';
export { S3Settings } from './settings';
export type { ObjectAttributes } from './transfer';

/**
 * Serves synchronous blob reads for S3DataStore.getSync in a worker thread. Defined here, at the top level
 * of the module every code package loads, so a worker that loads this file (or the bundle holding it)
 * finds it.
 */
defineSyncHandler(SYNC_GET_HANDLER, (init) => {
  const { root, settings } = init as SyncGetInit;
  const store = new S3DataStore(root, new Config(settings));
  return async (key) => store.get(key as string);
});

/** `--datastore s3`, and `s3://` URLs for IncludeFile. */
export const plugin: FlowKitPlugin = {
  name: '@flowkit/datastore-s3',
  register(registry) {
    registry.addDataStore({
      name: 's3',
      defaultRoot(config) {
        const root = config.get(S3Settings.sysroot);
        if (!root) {
          throw new ConfigError('--datastore s3 needs a root, and none is configured.', {
            hint: `pass --datastore-root s3://bucket/prefix, or set ${S3Settings.sysroot}`,
          });
        }
        return root;
      },
      create: (root, config) => new S3DataStore(root, config, __filename),
    });
    registry.addUrlReader({
      scheme: 's3',
      async read(url, config) {
        await using s3 = new S3({ config });
        return (await s3.get(url)).blob;
      },
    });
  },
};
