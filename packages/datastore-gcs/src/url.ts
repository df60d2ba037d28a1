import type { ObjectUrlScheme } from '@flowkit/datastore-objects';

export const GCS_URLS: ObjectUrlScheme = {
  scheme: 'gs',
  urlName: 'a GCS URL',
  // GCS allows up to 222 characters with dots (63 per dot-separated part); FlowKit asks no more than that.
  bucket: /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/,
  bucketRule: '3 to 63 lowercase letters, digits, "-", "_" or "." (up to 222 with dots)',
};
