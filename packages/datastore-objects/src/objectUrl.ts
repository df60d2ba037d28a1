import { ConfigError, validateStorageKey } from '@flowkit/core/plugin';

/** A bucket and a key (or a prefix) in it. */
export interface ObjectLocation {
  bucket: string;
  /** The key, or the prefix under the bucket; no leading or trailing `/`; may be empty. */
  key: string;
}

/** One object store's URLs: `s3://bucket/key`, `gs://bucket/key`. */
export interface ObjectUrlScheme {
  /** Without `://`. */
  scheme: string;
  /** What such a URL is called, with its article, for messages: `an S3 URL`, `a GCS URL`. */
  urlName: string;
  /** Bucket names the service allows. */
  bucket: RegExp;
  /** The same rule in words, for the hint. */
  bucketRule: string;
}

/** Parses `<scheme>://bucket[/key]`, refusing what is not one (the key is checked like any datastore key). */
export function parseObjectUrl(url: string, scheme: ObjectUrlScheme): ObjectLocation {
  const match = new RegExp(`^${scheme.scheme}://([^/]*)(?:/(.*))?$`).exec(url);
  const bucket = match?.[1] ?? '';
  if (!match || !scheme.bucket.test(bucket)) {
    const why = !match ? '' : bucket === '' ? ': it names no bucket' : `: ${JSON.stringify(bucket)} is not a bucket name`;
    throw new ConfigError(`${JSON.stringify(url)} is not ${scheme.urlName}${why}.`, {
      hint: `write ${scheme.scheme}://bucket/prefix (bucket: ${scheme.bucketRule})`,
    });
  }
  const key = (match[2] ?? '').replace(/\/+$/, '');
  if (key !== '') validateStorageKey(key, `${scheme.scheme}://${bucket}`);
  return { bucket, key };
}

export function formatObjectUrl(scheme: ObjectUrlScheme, location: ObjectLocation): string {
  return location.key === '' ? `${scheme.scheme}://${location.bucket}` : `${scheme.scheme}://${location.bucket}/${location.key}`;
}

/** `prefix/key`, or the key alone under an empty prefix. */
export function joinKey(prefix: string, key: string): string {
  return prefix === '' ? key : `${prefix}/${key}`;
}
