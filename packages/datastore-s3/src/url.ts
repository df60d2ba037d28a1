import { formatObjectUrl, parseObjectUrl, type ObjectLocation, type ObjectUrlScheme } from '@flowkit/datastore-objects';

export type S3Location = ObjectLocation;

export const S3_URLS: ObjectUrlScheme = {
  scheme: 's3',
  urlName: 'an S3 URL',
  bucket: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
  bucketRule: '3 to 63 lowercase letters, digits, "." or "-"',
};

/** Parses `s3://bucket[/key]`, refusing what is not one (the key is checked like any datastore key). */
export function parseS3Url(url: string): S3Location {
  return parseObjectUrl(url, S3_URLS);
}

export function s3Url(location: S3Location): string {
  return formatObjectUrl(S3_URLS, location);
}
