import { DataStoreError, SyncWorker, isBlobKey, validateStorageKey, type Bytes, type Config, type DataStore } from '@flowkit/core/plugin';
import type { S3Client } from '@aws-sdk/client-s3';
import { BlobCache } from './cache';
import { clientS3, presigner } from './sdk';
import { S3Settings, createClient, s3Options, type S3Options } from './settings';
import { downloadObject, isNotFound, s3Failure, uploadFile, uploadObject } from './transfer';
import { joinKey, parseS3Url, type S3Location } from './url';

/** The sync-read worker's handler, defined in index.ts (the module every code package loads). */
export const SYNC_GET_HANDLER = 'flowkit.s3.get';
/** A synchronous read may have to wait out the retries of a large download. */
const SYNC_GET_TIMEOUT_MS = 30 * 60 * 1000;

/** What the sync-read worker needs to open the same store. */
export interface SyncGetInit {
  root: string;
  settings: Record<string, string>;
}

/**
 * A DataStore on `s3://bucket/prefix`: the local store's keys under the prefix. S3 writes are atomic
 * per object, so readers see whole objects or none; large objects go up in parts and come down in
 * parallel ranges. Blobs are cached locally on read; step code reads them synchronously from that cache
 * or, on a miss, through a worker thread.
 */
export class S3DataStore implements DataStore {
  readonly root: string;
  private readonly location: S3Location;
  private readonly options: S3Options;
  private readonly cache: BlobCache;
  private client: S3Client | undefined;
  private syncWorker: SyncWorker | undefined;

  constructor(
    root: string,
    private readonly config: Config,
    /** The module that defines the sync-read handler (index.js, or the code package bundling it). */
    private readonly handlerModule?: string,
  ) {
    this.location = parseS3Url(root);
    this.root = root.replace(/\/+$/, '');
    this.options = s3Options(config);
    this.cache = new BlobCache(this.options.cacheDir, this.options.cacheBytes);
  }

  async check(): Promise<void> {
    const { bucket } = this.location;
    try {
      await this.s3().send(new (clientS3().HeadBucketCommand)({ Bucket: bucket }));
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404) {
        throw new DataStoreError(`S3 bucket '${bucket}' does not exist (datastore root ${this.root}).`, {
          hint: `create the bucket, or point --datastore-root / ${S3Settings.sysroot} at one that exists`,
        });
      }
      if (status === 403 || status === 401) {
        throw new DataStoreError(`Access to S3 bucket '${bucket}' was denied (datastore root ${this.root}).`, {
          hint: 'check the AWS credentials the SDK finds (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or a role) and their rights on the bucket',
        });
      }
      throw s3Failure('reach', `s3://${bucket}`, error, this.options);
    }
  }

  async put(key: string, data: Bytes, options: { ifAbsent?: boolean } = {}): Promise<void> {
    const objectKey = this.key(key);
    if (options.ifAbsent && (await this.exists(key))) return;
    try {
      await uploadObject(this.s3(), this.location.bucket, objectKey, data);
    } catch (error) {
      throw this.failure('write', objectKey, error);
    }
  }

  async putFile(key: string, path: string): Promise<void> {
    const objectKey = this.key(key);
    try {
      await uploadFile(this.s3(), this.location.bucket, objectKey, path);
    } catch (error) {
      throw this.failure('write', objectKey, error);
    }
  }

  async get(key: string): Promise<Buffer | undefined> {
    const objectKey = this.key(key);
    const cacheable = isBlobKey(key);
    const cached = cacheable ? this.cache.read(this.cacheId(objectKey)) : undefined;
    if (cached) return cached;
    let data: Buffer | undefined;
    try {
      data = (await downloadObject(this.s3(), this.location.bucket, objectKey, this.options))?.data;
    } catch (error) {
      throw this.failure('read', objectKey, error);
    }
    if (data && cacheable) this.cache.write(this.cacheId(objectKey), data);
    return data;
  }

  getSync(key: string): Buffer | undefined {
    const objectKey = this.key(key);
    const cached = isBlobKey(key) ? this.cache.read(this.cacheId(objectKey)) : undefined;
    if (cached) return cached;
    const data = this.worker().call<Uint8Array | undefined>(key);
    return data === undefined ? undefined : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  }

  async exists(key: string): Promise<boolean> {
    const objectKey = this.key(key);
    try {
      await this.s3().send(new (clientS3().HeadObjectCommand)({ Bucket: this.location.bucket, Key: objectKey }));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw this.failure('check', objectKey, error);
    }
  }

  /** A presigned GET URL: a task in a container fetches the code package with it, holding no credentials. */
  async url(key: string, expiresSeconds: number): Promise<string> {
    const command = new (clientS3().GetObjectCommand)({ Bucket: this.location.bucket, Key: this.key(key) });
    return presigner().getSignedUrl(this.s3(), command, { expiresIn: expiresSeconds });
  }

  async list(prefix: string): Promise<string[]> {
    const base = prefix === '' ? this.location.key : this.key(prefix);
    const listed = base === '' ? '' : `${base}/`;
    const names = new Set<string>();
    let token: string | undefined;
    try {
      do {
        const page = await this.s3().send(new (clientS3().ListObjectsV2Command)({ Bucket: this.location.bucket, Prefix: listed, Delimiter: '/', ContinuationToken: token }));
        for (const { Prefix } of page.CommonPrefixes ?? []) if (Prefix) names.add(Prefix.slice(listed.length, -1));
        for (const { Key } of page.Contents ?? []) if (Key) names.add(Key.slice(listed.length));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (error) {
      throw this.failure('list', listed, error);
    }
    return [...names].filter((name) => name !== '');
  }

  /** Stops the sync-read worker and closes the client's connections. */
  close(): void {
    this.syncWorker?.close();
    this.client?.destroy();
    this.client = undefined;
  }

  private s3(): S3Client {
    return (this.client ??= createClient(this.options));
  }

  private worker(): SyncWorker {
    if (!this.handlerModule) throw new DataStoreError(`The datastore at ${this.root} was opened without synchronous reads.`);
    const init: SyncGetInit = { root: this.root, settings: this.config.toEnv() };
    return (this.syncWorker ??= new SyncWorker({ module: this.handlerModule, handler: SYNC_GET_HANDLER, init, timeoutMs: SYNC_GET_TIMEOUT_MS }));
  }

  private key(key: string): string {
    return joinKey(this.location.key, validateStorageKey(key, this.root));
  }

  private cacheId(objectKey: string): string {
    return `${this.location.bucket}/${objectKey}`;
  }

  private failure(action: string, objectKey: string, error: unknown): DataStoreError {
    return s3Failure(action, `s3://${this.location.bucket}/${objectKey}`, error, this.options);
  }
}
