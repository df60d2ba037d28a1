import { ConfigError, validateStorageKey } from '@flowkit/core/plugin';

export interface S3Location {
  bucket: string;
  /** The key, or the prefix under the bucket; no leading or trailing `/`; may be empty. */
  key: string;
}

/** Bucket names as S3 allows them (lowercase letters, digits, dots and hyphens; 3 to 63 characters). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Parses `s3://bucket[/key]`, refusing what is not one (the key is checked like any datastore key). */
export function parseS3Url(url: string): S3Location {
  const match = /^s3:\/\/([^/]*)(?:\/(.*))?$/.exec(url);
  const bucket = match?.[1] ?? '';
  if (!match || !BUCKET.test(bucket)) {
    throw new ConfigError(`${JSON.stringify(url)} is not an S3 URL.`, { hint: 'write s3://bucket/prefix (bucket: 3 to 63 lowercase letters, digits, "." or "-")' });
  }
  const key = (match[2] ?? '').replace(/\/+$/, '');
  if (key !== '') validateStorageKey(key, `s3://${bucket}`);
  return { bucket, key };
}

export function s3Url(location: S3Location): string {
  return location.key === '' ? `s3://${location.bucket}` : `s3://${location.bucket}/${location.key}`;
}

/** `prefix/key`, or the key alone under an empty prefix. */
export function joinKey(prefix: string, key: string): string {
  return prefix === '' ? key : `${prefix}/${key}`;
}
