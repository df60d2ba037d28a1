/**
 * `@flowkit/datastore-objects`: what FlowKit's object-store datastores share, so each store package holds only
 * its service's requests. Not a plugin: the S3 and GCS plugins build on it.
 */
export { ObjectDataStore } from './objectDataStore';
export { objectDataStoreFactory } from './dataStoreFactory';
export type { ListPage, ObjectStoreOptions } from './objectDataStore';
export { defineSyncGetHandler } from './syncReads';
export { formatObjectUrl, joinKey, parseObjectUrl } from './objectUrl';
export type { ObjectLocation, ObjectUrlScheme } from './objectUrl';
export { LARGE_OBJECT_BYTES, PARTS_IN_FLIGHT, PART_BYTES, isStreamFailure, readInto, readRanges } from './transfer';
export { cacheSettings, endpointSetting, numberSetting } from './settings';
export type { CacheOptions } from './settings';
