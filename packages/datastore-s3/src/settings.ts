import { hostSetting, type Config } from '@flowkit/core/plugin';
import { cacheSettings, endpointSetting, numberSetting, type CacheOptions } from '@flowkit/datastore-objects';
import type { S3Client } from '@aws-sdk/client-s3';
import { BackoffRetryStrategy } from './retry';
import { clientS3 } from './sdk';

/**
 * The S3 plugin's settings (environment, else the profile). Credentials are not among them: the SDK's
 * default chain finds those (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, instance roles), and
 * FlowKit never reads, logs or stores them.
 */
export const S3Settings = {
  /** The default root of `--datastore s3`: `s3://bucket/prefix`. */
  sysroot: 'FLOWKIT_DATASTORE_SYSROOT_S3',
  /** An S3-compatible endpoint (MinIO, s3rver, ...); turns on path-style addressing. */
  endpointUrl: 'FLOWKIT_S3_ENDPOINT_URL',
  region: 'FLOWKIT_S3_REGION',
  /** Attempts per request on throttling, 5xx and network errors, the first included (default 10, about 25 s). */
  maxAttempts: 'FLOWKIT_S3_MAX_ATTEMPTS',
  /** First retry delay in ms, doubling per retry up to 5 s (default 100). */
  retryBaseMs: 'FLOWKIT_S3_RETRY_BASE_MS',
  /** Transfers in flight at once per process (default 16). */
  concurrency: 'FLOWKIT_S3_CONCURRENCY',
  /** Where downloaded blobs are cached (default: `flowkit-s3-cache` in the temp directory). */
  cacheDir: hostSetting('FLOWKIT_S3_CACHE_DIR'),
  /** Most bytes the cache keeps (default 2 GiB; 0 turns it off). */
  cacheBytes: 'FLOWKIT_S3_CACHE_BYTES',
} as const;

const DEFAULT_MAX_ATTEMPTS = 10;
const DEFAULT_RETRY_BASE_MS = 100;
const DEFAULT_CONCURRENCY = 16;
/** Regions matter to AWS only; S3-compatible servers accept any, and the SDK insists on one. */
const FALLBACK_REGION = 'us-east-1';
const CONNECT_TIMEOUT_MS = 5000;

export interface S3Options extends CacheOptions {
  endpoint?: string;
  region?: string;
  maxAttempts: number;
  retryBaseMs: number;
  concurrency: number;
}

export function s3Options(config: Config): S3Options {
  return {
    endpoint: endpointSetting(config, S3Settings.endpointUrl),
    region: config.get(S3Settings.region),
    maxAttempts: numberSetting(config, S3Settings.maxAttempts, DEFAULT_MAX_ATTEMPTS, 1),
    retryBaseMs: numberSetting(config, S3Settings.retryBaseMs, DEFAULT_RETRY_BASE_MS, 1),
    concurrency: numberSetting(config, S3Settings.concurrency, DEFAULT_CONCURRENCY, 1),
    ...cacheSettings(config, S3Settings.cacheDir, S3Settings.cacheBytes, 'flowkit-s3-cache'),
  };
}

/** One SDK client per options: FlowKit's retry policy, path-style addressing for custom endpoints. */
export function createClient(options: S3Options): S3Client {
  // FlowKit supports Node 20 on purpose; the SDK's notice about future versions would fill every task's stderr.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { S3Client } = clientS3();
  const agent = { keepAlive: true, maxSockets: Math.max(options.concurrency * 2, 50) };
  return new S3Client({
    endpoint: options.endpoint,
    forcePathStyle: options.endpoint !== undefined,
    region: options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? (options.endpoint ? FALLBACK_REGION : undefined),
    retryStrategy: new BackoffRetryStrategy(options.maxAttempts, options.retryBaseMs),
    // Checksums only where S3 requires them: S3-compatible servers reject the aws-chunked trailer encoding.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, httpAgent: agent, httpsAgent: agent },
  });
}
