import { hostSetting, type Config } from '@flowkit/core/plugin';
import { cacheSettings, endpointSetting, numberSetting, type CacheOptions } from '@flowkit/datastore-objects';
import type { ApiError, Storage, StorageOptions } from '@google-cloud/storage';
import { gcsSdk } from './sdk';

/**
 * The GCS plugin's settings (environment, else the profile). Credentials are not among them: the client
 * finds them through Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, `gcloud auth
 * application-default login`, or the service account a GKE pod or VM runs as), and FlowKit never reads,
 * logs or stores them.
 */
export const GcsSettings = {
  /** The default root of `--datastore gcs`: `gs://bucket/prefix`. */
  sysroot: 'FLOWKIT_DATASTORE_SYSROOT_GCS',
  /** A GCS-compatible endpoint (an emulator, a test server). The client sends no credentials to one. */
  endpointUrl: 'FLOWKIT_GCS_ENDPOINT_URL',
  /** Retries per request on 408, 429, 5xx and network errors, after the first attempt (default 5, about 30 s). */
  maxRetries: 'FLOWKIT_GCS_MAX_RETRIES',
  /** The client's retryDelayMultiplier: retry n waits multiplier^n s (at most 8 s) plus up to 1 s of jitter (default 2). */
  retryMultiplier: 'FLOWKIT_GCS_RETRY_MULTIPLIER',
  /** Where downloaded blobs are cached (default: `flowkit-gcs-cache` in the temp directory). */
  cacheDir: hostSetting('FLOWKIT_GCS_CACHE_DIR'),
  /** Most bytes the cache keeps (default 2 GiB; 0 turns it off). */
  cacheBytes: 'FLOWKIT_GCS_CACHE_BYTES',
} as const;

const DEFAULT_MAX_RETRIES = 5;
const DEFAULT_RETRY_MULTIPLIER = 2;
/** Seconds: the longest wait between two retries (the client's default, 64 s, would stall a run for minutes). */
export const MAX_RETRY_DELAY_S = 8;
/** Seconds after an operation's first request past which it is not retried (the client's default). */
export const TOTAL_TIMEOUT_S = 600;

export interface GcsOptions extends CacheOptions {
  endpoint?: string;
  maxRetries: number;
  retryMultiplier: number;
}

export function gcsOptions(config: Config): GcsOptions {
  return {
    endpoint: endpointSetting(config, GcsSettings.endpointUrl),
    maxRetries: numberSetting(config, GcsSettings.maxRetries, DEFAULT_MAX_RETRIES, 0),
    retryMultiplier: numberSetting(config, GcsSettings.retryMultiplier, DEFAULT_RETRY_MULTIPLIER, 0.001, true),
    ...cacheSettings(config, GcsSettings.cacheDir, GcsSettings.cacheBytes, 'flowkit-gcs-cache'),
  };
}

/**
 * One client per store, retrying through its own retry settings. RetryAlways, because every FlowKit write
 * is idempotent by its key: blobs are content-addressed (and written create-only), every other key belongs
 * to one task attempt, which writes the same bytes again on a retry. (Under the default RetryConditional,
 * one write without a precondition also switches retries off for the whole client, for good.)
 */
export function createStorage(options: GcsOptions): Storage {
  const { Storage, IdempotencyStrategy } = gcsSdk();
  return new Storage({
    apiEndpoint: options.endpoint,
    retryOptions: {
      // The client reads maxRetries 0 as "unset" (3): no retries is autoRetry off.
      autoRetry: options.maxRetries > 0,
      maxRetries: options.maxRetries,
      retryDelayMultiplier: options.retryMultiplier,
      maxRetryDelay: MAX_RETRY_DELAY_S,
      totalTimeout: TOTAL_TIMEOUT_S,
      idempotencyStrategy: IdempotencyStrategy.RetryAlways,
      retryableErrorFn: isRetryable,
    },
  });
}

/**
 * A client for downloads, sharing `storage`'s credentials, that retries nothing itself: on Node 24 the
 * client's retry of a streamed read crashes the process (ERR_STREAM_UNABLE_TO_PIPE in teeny-request,
 * googleapis/google-cloud-node#8670), so downloads retry through withRetries.
 */
export function createReadStorage(storage: Storage, options: GcsOptions): Storage {
  const { Storage } = gcsSdk();
  return new Storage({ apiEndpoint: options.endpoint, authClient: storage.authClient as StorageOptions['authClient'], retryOptions: { autoRetry: false } });
}

/**
 * What the client retries (408, 429, 5xx, a connection cut), and a refused connection: an endpoint
 * restarting, as a server down for a few seconds.
 */
export function isRetryable(error: unknown): boolean {
  return gcsSdk().RETRYABLE_ERR_FN_DEFAULT(error as ApiError) || isRefusedConnection(error);
}

function isRefusedConnection(error: unknown): boolean {
  const { code, errors } = error as { code?: unknown; errors?: Array<{ reason?: unknown }> };
  return code === 'ECONNREFUSED' || (errors ?? []).some((e) => e?.reason === 'ECONNREFUSED');
}
