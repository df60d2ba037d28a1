import { DataStoreError, type FlowKitPlugin } from '@flowkit/core/plugin';
import { defineSyncGetHandler, objectDataStoreFactory, parseObjectUrl } from '@flowkit/datastore-objects';
import { GcsDataStore, SYNC_GET_HANDLER } from './gcsDataStore';
import { GcsSettings } from './settings';
import { GCS_URLS } from './url';

export { GcsDataStore } from './gcsDataStore';
export { GcsSettings } from './settings';

/**
 * Serves synchronous blob reads for GcsDataStore.getSync in a worker thread. Defined here, at the top level
 * of the module every code package loads, so a worker that loads this file (or the bundle holding it)
 * finds it.
 */
defineSyncGetHandler(SYNC_GET_HANDLER, (root, config) => new GcsDataStore(root, config));

/** `--datastore gcs`, and `gs://` URLs for IncludeFile. */
export const plugin: FlowKitPlugin = {
  name: '@flowkit/datastore-gcs',
  register(registry) {
    registry.addDataStore(objectDataStoreFactory('gcs', GcsSettings.sysroot, GCS_URLS, (root, config) => new GcsDataStore(root, config, __filename)));
    registry.addUrlReader({
      scheme: 'gs',
      async read(url, config) {
        const { bucket, key } = parseObjectUrl(url, GCS_URLS);
        const store = new GcsDataStore(`gs://${bucket}`, config);
        const data = await store.get(key);
        if (!data) throw new DataStoreError(`Object not found: ${url}.`, { hint: 'check the URL, and that the object was uploaded' });
        return data;
      },
      async size(url, config) {
        const { bucket, key } = parseObjectUrl(url, GCS_URLS);
        return new GcsDataStore(`gs://${bucket}`, config).size(key);
      },
    });
  },
};
