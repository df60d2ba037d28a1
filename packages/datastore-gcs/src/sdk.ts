import type * as GoogleCloudStorage from '@google-cloud/storage';

/*
 * Every flow's code package bundles the plugins its tasks use, and the CLI loads every installed plugin: the
 * GCS client and its auth library (~100 ms) load on first use instead; the rest of the package imports only
 * their types.
 */
export function gcsSdk(): typeof GoogleCloudStorage {
  return require('@google-cloud/storage') as typeof GoogleCloudStorage;
}
