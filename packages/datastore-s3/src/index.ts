import type { FlowKitPlugin } from '@flowkit/core/plugin';
import { defineSyncGetHandler, objectDataStoreFactory } from '@flowkit/datastore-objects';
import { S3 } from './datatools';
import { S3DataStore, SYNC_GET_HANDLER } from './s3DataStore';
import { S3Settings } from './settings';
import { S3_URLS } from './url';

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
defineSyncGetHandler(SYNC_GET_HANDLER, (root, config) => new S3DataStore(root, config));

/** `--datastore s3`, and `s3://` URLs for IncludeFile. */
export const plugin: FlowKitPlugin = {
  name: '@flowkit/datastore-s3',
  register(registry) {
    registry.addDataStore(objectDataStoreFactory('s3', S3Settings.sysroot, S3_URLS, (root, config) => new S3DataStore(root, config, __filename)));
    registry.addUrlReader({
      scheme: 's3',
      async read(url, config) {
        await using s3 = new S3({ config });
        return (await s3.get(url)).blob;
      },
      async size(url, config) {
        await using s3 = new S3({ config });
        const info = await s3.info(url, { returnMissing: true });
        return info.exists ? info.size : undefined;
      },
    });
  },
};
