import type * as ClientS3 from '@aws-sdk/client-s3';
import type * as LibStorage from '@aws-sdk/lib-storage';
import type * as Presigner from '@aws-sdk/s3-request-presigner';

/*
 * Every flow's code package bundles every installed plugin, so each task process would load the AWS SDK
 * (~50 ms) even when it never touches S3. These load it on first use instead; the rest of the package
 * imports only its types.
 */

export function clientS3(): typeof ClientS3 {
  return require('@aws-sdk/client-s3') as typeof ClientS3;
}

export function libStorage(): typeof LibStorage {
  return require('@aws-sdk/lib-storage') as typeof LibStorage;
}

export function presigner(): typeof Presigner {
  return require('@aws-sdk/s3-request-presigner') as typeof Presigner;
}
