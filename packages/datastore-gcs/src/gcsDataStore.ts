import { DataStoreError, type Bytes, type Config } from '@flowkit/core/plugin';
import { ObjectDataStore, type ListPage } from '@flowkit/datastore-objects';
import type { Bucket, Storage } from '@google-cloud/storage';
import { ADC_SOURCES, gcsFailure, messageOf, statusOf } from './failures';
import { GcsSettings, createReadStorage, createStorage, gcsOptions, type GcsOptions } from './settings';
import { downloadObject, uploadFile, uploadObject } from './transfer';
import { GCS_URLS } from './url';

/** The sync-read worker's handler, defined in index.ts (the module every code package loads). */
export const SYNC_GET_HANDLER = 'flowkit.gcs.get';
/** V4 signed URLs live at most 7 days. */
const MAX_URL_SECONDS = 7 * 24 * 3600;
const PAGE_SIZE = 1000;

/**
 * A DataStore on `gs://bucket/prefix` (keys, cache and synchronous reads as every object store:
 * ObjectDataStore). Blobs are written create-only (`ifGenerationMatch: 0`) instead of checked then
 * written; large objects go up as resumable uploads and come down in parallel ranges.
 */
export class GcsDataStore extends ObjectDataStore {
  private readonly options: GcsOptions;
  private storage: Storage | undefined;
  private readStorage: Storage | undefined;

  constructor(
    root: string,
    config: Config,
    /** The module that defines the sync-read handler (index.js, or the code package bundling it). */
    handlerModule?: string,
  ) {
    const options = gcsOptions(config);
    super(root, config, { urls: GCS_URLS, syncHandler: SYNC_GET_HANDLER, handlerModule, ...options });
    this.options = options;
  }

  /** Lists one object under the root: needs the same right as the run (objects.list), unlike reading the bucket's own metadata. */
  async check(): Promise<void> {
    const { bucket, key } = this.location;
    try {
      await this.bucket().getFiles({ prefix: key === '' ? '' : `${key}/`, maxResults: 1, autoPaginate: false });
    } catch (error) {
      const status = statusOf(error);
      // objects.list answers 404 only for the bucket.
      if (status === 404) {
        throw new DataStoreError(`GCS bucket '${bucket}' does not exist (datastore root ${this.root}).`, {
          hint: `create the bucket, or point --datastore-root / ${GcsSettings.sysroot} at one that exists`,
        });
      }
      if (status === 401 || status === 403) {
        throw new DataStoreError(`Access to GCS bucket '${bucket}' was refused (datastore root ${this.root}): ${messageOf(error)}`, {
          hint: `check the identity Application Default Credentials find (${ADC_SOURCES}) and its roles on the bucket (e.g. roles/storage.objectAdmin)`,
        });
      }
      throw this.failure('reach', `gs://${bucket}`, error);
    }
  }

  /**
   * A V4 signed GET URL: a task in a container fetches the code package with it, holding no credentials.
   * Signing needs a service account: a key file signs locally, an attached one (GKE Workload Identity,
   * Compute Engine) through the IAM signBlob API, which needs roles/iam.serviceAccountTokenCreator on itself.
   */
  async url(key: string, expiresSeconds: number): Promise<string> {
    const objectKey = this.key(key);
    // Whole seconds from a fixed start, so 7 days asked is exactly the 7 days V4 allows.
    const start = Math.floor(Date.now() / 1000) * 1000;
    try {
      const [url] = await this.bucket().file(objectKey).getSignedUrl({ version: 'v4', action: 'read', accessibleAt: start, expires: start + Math.min(expiresSeconds, MAX_URL_SECONDS) * 1000 });
      return url;
    } catch (error) {
      throw new DataStoreError(`Cannot sign a URL for ${this.objectUrl(objectKey)}: ${messageOf(error)}`, {
        hint: 'signing needs a service account in Application Default Credentials: a key file in GOOGLE_APPLICATION_CREDENTIALS, or the attached service account with roles/iam.serviceAccountTokenCreator on itself (user credentials cannot sign)',
        cause: error,
      });
    }
  }

  protected async readObject(objectKey: string): Promise<Buffer | undefined> {
    return downloadObject(this.readBucket(), objectKey, this.options);
  }

  protected async writeObject(objectKey: string, data: Bytes, ifAbsent: boolean): Promise<void> {
    await uploadObject(this.bucket(), objectKey, data, ifAbsent);
  }

  protected async writeFile(objectKey: string, path: string): Promise<void> {
    await uploadFile(this.bucket(), objectKey, path);
  }

  protected async objectSize(objectKey: string): Promise<number | undefined> {
    try {
      const [metadata] = await this.bucket().file(objectKey).getMetadata();
      return Number(metadata.size ?? 0);
    } catch (error) {
      if ((error as { code?: number }).code === 404) return undefined;
      throw error;
    }
  }

  protected async listPage(prefix: string, token: string | undefined): Promise<ListPage> {
    const [files, , response] = await this.bucket().getFiles({ prefix, delimiter: '/', pageToken: token, maxResults: PAGE_SIZE, autoPaginate: false });
    const page = response as { prefixes?: string[]; nextPageToken?: string };
    return { prefixes: page.prefixes ?? [], keys: files.map((file) => file.name), next: page.nextPageToken };
  }

  protected failure(action: string, url: string, error: unknown): DataStoreError {
    return gcsFailure(action, url, error, this.options);
  }

  /** The client keeps no connections of its own to close (its HTTP agents are shared and unref'd). */
  protected closeClient(): void {
    this.storage = undefined;
    this.readStorage = undefined;
  }

  private bucket(): Bucket {
    this.storage ??= createStorage(this.options);
    return this.storage.bucket(this.location.bucket);
  }

  /** The bucket downloads read from: its client shares the credentials and leaves retries to downloadObject. */
  private readBucket(): Bucket {
    this.readStorage ??= createReadStorage(this.bucket().storage, this.options);
    return this.readStorage.bucket(this.location.bucket);
  }
}
