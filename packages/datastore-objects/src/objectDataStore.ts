import { DataStoreError, isBlobKey, validateStorageKey, type Bytes, type Config, type DataStore } from '@flowkit/core/plugin';
import { BlobCache } from './blobCache';
import { formatObjectUrl, joinKey, parseObjectUrl, type ObjectLocation, type ObjectUrlScheme } from './objectUrl';
import type { CacheOptions } from './settings';
import { SyncGetter } from './syncReads';

/** One page of a listing: sub-prefixes (ending in `/`) and keys, both in full. */
export interface ListPage {
  prefixes: string[];
  keys: string[];
  /** The next page's token, or undefined after the last page. */
  next?: string;
}

/** How a store plugs into ObjectDataStore. */
export interface ObjectStoreOptions extends CacheOptions {
  urls: ObjectUrlScheme;
  /** The sync-read handler's name, defined with defineSyncGetHandler in the plugin's entry module. */
  syncHandler: string;
  /** The module that defines it (index.js, or the code package bundling it); without one, no synchronous reads. */
  handlerModule?: string;
}

/**
 * A DataStore on `<scheme>://bucket/prefix`: the local store's keys under the prefix. What every object
 * store does the same way lives here: key checks, the local blob cache (content-addressed blobs never
 * change, so a cached copy is always right), synchronous reads from that cache or through a worker
 * thread, listing one level by delimiter, and errors that name the object. A subclass supplies the
 * requests; object stores write whole objects atomically, so readers see all of one or nothing.
 */
export abstract class ObjectDataStore implements DataStore {
  readonly root: string;
  protected readonly location: ObjectLocation;
  private readonly cache: BlobCache;
  private readonly syncGetter: SyncGetter | undefined;

  protected constructor(root: string, config: Config, private readonly store: ObjectStoreOptions) {
    this.location = parseObjectUrl(root, store.urls);
    this.root = root.replace(/\/+$/, '');
    this.cache = new BlobCache(store.cacheDir, store.cacheBytes);
    this.syncGetter = store.handlerModule === undefined ? undefined : new SyncGetter(store.syncHandler, store.handlerModule, { root: this.root, settings: config.toEnv() });
  }

  abstract check(): Promise<void>;
  abstract url(key: string, expiresSeconds: number): Promise<string>;
  /** The object's bytes, or undefined when it does not exist. */
  protected abstract readObject(objectKey: string): Promise<Buffer | undefined>;
  /** Writes an object whole; with `ifAbsent`, an existing one is kept. */
  protected abstract writeObject(objectKey: string, data: Bytes, ifAbsent: boolean): Promise<void>;
  protected abstract writeFile(objectKey: string, path: string): Promise<void>;
  /** The object's size in bytes, or undefined when it does not exist. */
  protected abstract objectSize(objectKey: string): Promise<number | undefined>;
  /** One page of what is directly under `prefix` (empty, or ending in `/`). */
  protected abstract listPage(prefix: string, token: string | undefined): Promise<ListPage>;
  /** A one-line DataStoreError for a failed request: what, where (`objectUrl`), and the cause. */
  protected abstract failure(action: string, url: string, error: unknown): DataStoreError;
  /** Closes the client's connections. */
  protected abstract closeClient(): void;

  async put(key: string, data: Bytes, options: { ifAbsent?: boolean } = {}): Promise<void> {
    const objectKey = this.key(key);
    try {
      await this.writeObject(objectKey, data, options.ifAbsent ?? false);
    } catch (error) {
      throw this.failure('write', this.objectUrl(objectKey), error);
    }
  }

  async putFile(key: string, path: string): Promise<void> {
    const objectKey = this.key(key);
    try {
      await this.writeFile(objectKey, path);
    } catch (error) {
      throw this.failure('write', this.objectUrl(objectKey), error);
    }
  }

  async get(key: string): Promise<Buffer | undefined> {
    const objectKey = this.key(key);
    const cacheable = isBlobKey(key);
    const cached = cacheable ? this.cache.read(this.cacheId(objectKey)) : undefined;
    if (cached) return cached;
    let data: Buffer | undefined;
    try {
      data = await this.readObject(objectKey);
    } catch (error) {
      throw this.failure('read', this.objectUrl(objectKey), error);
    }
    if (data && cacheable) this.cache.write(this.cacheId(objectKey), data);
    return data;
  }

  /** From the cache, else through the sync-read worker (which fills the cache for the next read). */
  getSync(key: string): Buffer | undefined {
    const objectKey = this.key(key);
    const cached = isBlobKey(key) ? this.cache.read(this.cacheId(objectKey)) : undefined;
    if (cached) return cached;
    if (!this.syncGetter) throw new DataStoreError(`The datastore at ${this.root} was opened without synchronous reads.`);
    return this.syncGetter.get(key);
  }

  async exists(key: string): Promise<boolean> {
    return (await this.size(key)) !== undefined;
  }

  /** An object's size in bytes without reading it; undefined when it does not exist. */
  async size(key: string): Promise<number | undefined> {
    const objectKey = this.key(key);
    try {
      return await this.objectSize(objectKey);
    } catch (error) {
      throw this.failure('check', this.objectUrl(objectKey), error);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const base = prefix === '' ? this.location.key : this.key(prefix);
    const listed = base === '' ? '' : `${base}/`;
    const names = new Set<string>();
    let token: string | undefined;
    try {
      do {
        const page = await this.listPage(listed, token);
        for (const sub of page.prefixes) names.add(sub.slice(listed.length, -1));
        for (const key of page.keys) names.add(key.slice(listed.length));
        token = page.next;
      } while (token);
    } catch (error) {
      throw this.failure('list', this.objectUrl(listed), error);
    }
    return [...names].filter((name) => name !== '');
  }

  /** Stops the sync-read worker and closes the client's connections. */
  close(): void {
    this.syncGetter?.close();
    this.closeClient();
  }

  /** `<scheme>://bucket/<objectKey>`. */
  protected objectUrl(objectKey: string): string {
    return formatObjectUrl(this.store.urls, { bucket: this.location.bucket, key: objectKey });
  }

  /** The object key of a datastore key: checked (no `..`, no absolute paths), under the root's prefix. */
  protected key(key: string): string {
    return joinKey(this.location.key, validateStorageKey(key, this.root));
  }

  private cacheId(objectKey: string): string {
    return `${this.location.bucket}/${objectKey}`;
  }
}
