import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mapLimit } from '@flowkit/core/internal';
import { DataStoreError, Settings, loadConfig, validateId, validateStorageKey, type Config } from '@flowkit/core/plugin';
import { joinKey } from '@flowkit/datastore-objects';
import type { S3Client } from '@aws-sdk/client-s3';
import { clientS3 } from './sdk';
import { S3Settings, createClient, s3Options, type S3Options } from './settings';
import { downloadObject, isNotFound, s3Failure, uploadFile, uploadObject, type ObjectAttributes } from './transfer';
import { parseS3Url, s3Url, type S3Location } from './url';

/** A run to scope to: `current` inside a step, or a client `Run`. */
export type RunScope = { flowName: string; runId: string } | { flowName: string; id: string };

export interface S3ClientOptions {
  /** Scope every key to this run's prefix: `<s3 root>/<Flow>/<runId>/_datatools/`. */
  run?: RunScope;
  /** Scope every key to this prefix (`s3://bucket/prefix`). */
  s3root?: string;
  /** Where downloaded objects get their local files (default: the system temp directory). */
  tmpdir?: string;
  /** Settings (default: the environment and profile). */
  config?: Config;
}

/** One object, as get/info/list return it. */
export class S3Object {
  private localPath: string | undefined;

  constructor(
    /** `s3://bucket/key`. */
    readonly url: string,
    /** The key as given (relative to the client's prefix), or the URL when given one. */
    readonly key: string,
    readonly exists: boolean,
    readonly size: number,
    private readonly data: Buffer | undefined,
    private readonly tempDir: (() => string) | undefined,
    readonly contentType?: string,
    readonly metadata: Record<string, string> = {},
    readonly lastModified?: Date,
  ) {}

  /** The bytes; only for objects read with get(). */
  get blob(): Buffer {
    if (!this.exists) throw new DataStoreError(`${this.url} does not exist.`, { hint: 'check `exists` before reading an object fetched with returnMissing' });
    if (!this.data) throw new DataStoreError(`${this.url} was not downloaded (info or list).`, { hint: 'read it with get()' });
    return this.data;
  }

  /** The bytes as UTF-8 text. */
  get text(): string {
    return this.blob.toString('utf8');
  }

  /** A local file with the bytes, removed when the client closes. */
  get path(): string {
    if (this.localPath === undefined) {
      const data = this.blob;
      const path = join((this.tempDir as () => string)(), `${Math.random().toString(36).slice(2)}-${this.key.split('/').pop() ?? 'object'}`);
      writeFileSync(path, data);
      this.localPath = path;
    }
    return this.localPath;
  }
}

export interface PutItem extends ObjectAttributes {
  key: string;
  value: string | Buffer;
}

export interface PutFileItem extends ObjectAttributes {
  key: string;
  /** A local file, streamed (in parts when large). */
  path: string;
}

/**
 * Metaflow's datatools S3 client: many objects in parallel (bounded), each call retried with backoff.
 * Scoped to a run (`new S3({ run: current })`), to a prefix (`new S3({ s3root })`), or taking bare
 * `s3://` URLs. Local files it makes are removed by close() (or `await using s3 = new S3(...)`).
 */
export class S3 implements AsyncDisposable {
  private readonly prefix: S3Location | undefined;
  private readonly options: S3Options;
  private client: S3Client | undefined;
  private tempDir: string | undefined;
  private readonly tmpRoot: string;

  constructor(options: S3ClientOptions = {}) {
    const config = options.config ?? loadConfig();
    this.options = s3Options(config);
    this.tmpRoot = options.tmpdir ?? tmpdir();
    if (options.run && options.s3root) throw new DataStoreError('new S3() takes run or s3root, not both.');
    if (options.s3root) this.prefix = parseS3Url(options.s3root);
    else if (options.run) this.prefix = runPrefix(options.run, config);
  }

  /** One object; a missing one is an error unless `returnMissing` (then `exists` is false). */
  async get(key: string, options: { returnMissing?: boolean } = {}): Promise<S3Object> {
    const [object] = await this.getMany([key], options);
    return object as S3Object;
  }

  /** Objects in parallel, in the order of `keys`. */
  async getMany(keys: string[], options: { returnMissing?: boolean } = {}): Promise<S3Object[]> {
    const located = keys.map((key) => this.locate(key));
    const objects = await mapLimit(located, this.options.concurrency, async ({ key, location }) => {
      const url = s3Url(location);
      let found;
      try {
        found = await downloadObject(this.s3(), location.bucket, location.key, this.options);
      } catch (error) {
        throw s3Failure('get', url, error, this.options);
      }
      if (!found) return new S3Object(url, key, false, 0, undefined, undefined);
      return new S3Object(url, key, true, found.data.length, found.data, () => this.localDir(), found.contentType, found.metadata, found.lastModified);
    });
    // In the order of `keys`, whichever download ended first.
    const missing = objects.filter((object) => !object.exists).map((object) => object.url);
    if (missing.length > 0 && !options.returnMissing) {
      throw new DataStoreError(`${missing.length === 1 ? 'Object' : `${missing.length} objects`} not found: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}.`, {
        hint: 'check the keys, or pass { returnMissing: true } to get them with exists: false',
      });
    }
    return objects;
  }

  /** Every object under the client's prefix. */
  async getAll(): Promise<S3Object[]> {
    return this.getRecursive(['']);
  }

  /** Every object under each of these prefixes. */
  async getRecursive(prefixes: string[]): Promise<S3Object[]> {
    const listed = (await Promise.all(prefixes.map((prefix) => this.listKeys(prefix, true)))).flat();
    return this.getMany(listed.filter((entry) => entry.exists).map((entry) => entry.key));
  }

  /** What is directly under each prefix: objects (`exists`, `size`) and sub-prefixes (`exists: false`, URL ending in `/`). */
  async list(prefixes: string[] = ['']): Promise<S3Object[]> {
    return (await Promise.all(prefixes.map((prefix) => this.listKeys(prefix, false)))).flat();
  }

  /** Every object under each prefix, at any depth. */
  async listRecursive(prefixes: string[] = ['']): Promise<S3Object[]> {
    return (await Promise.all(prefixes.map((prefix) => this.listKeys(prefix, true)))).flat();
  }

  /** Size, type and metadata of one object, without its bytes. */
  async info(key: string, options: { returnMissing?: boolean } = {}): Promise<S3Object> {
    const { location } = this.locate(key);
    const url = s3Url(location);
    try {
      const head = await this.s3().send(new (clientS3().HeadObjectCommand)({ Bucket: location.bucket, Key: location.key }));
      return new S3Object(url, key, true, head.ContentLength ?? 0, undefined, undefined, head.ContentType, head.Metadata ?? {}, head.LastModified);
    } catch (error) {
      if (!isNotFound(error)) throw s3Failure('read the info of', url, error, this.options);
      if (!options.returnMissing) throw new DataStoreError(`Object not found: ${url}.`, { hint: 'check the key, or pass { returnMissing: true }' });
      return new S3Object(url, key, false, 0, undefined, undefined);
    }
  }

  /** Writes one object; returns its URL. */
  async put(key: string, value: string | Buffer, attributes: ObjectAttributes = {}): Promise<string> {
    const [url] = await this.putMany([{ key, value, ...attributes }]);
    return url as string;
  }

  /** Writes objects in parallel; returns their URLs in order. */
  async putMany(items: PutItem[]): Promise<string[]> {
    return mapLimit(items, this.options.concurrency, async (item) => {
      const { location } = this.locate(item.key);
      const url = s3Url(location);
      try {
        await uploadObject(this.s3(), location.bucket, location.key, typeof item.value === 'string' ? Buffer.from(item.value) : item.value, item);
      } catch (error) {
        throw s3Failure('put', url, error, this.options);
      }
      return url;
    });
  }

  /** Uploads local files in parallel (streamed, in parts when large); returns their URLs in order. */
  async putFiles(items: PutFileItem[]): Promise<string[]> {
    return mapLimit(items, this.options.concurrency, async (item) => {
      const { location } = this.locate(item.key);
      const url = s3Url(location);
      try {
        await uploadFile(this.s3(), location.bucket, location.key, item.path, item);
      } catch (error) {
        throw s3Failure(`put ${item.path} as`, url, error, this.options);
      }
      return url;
    });
  }

  /** Removes the local files of downloaded objects and closes connections. */
  async close(): Promise<void> {
    if (this.tempDir) rmSync(this.tempDir, { recursive: true, force: true });
    this.tempDir = undefined;
    this.client?.destroy();
    this.client = undefined;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async listKeys(prefix: string, recursive: boolean): Promise<S3Object[]> {
    const { location } = this.locate(prefix, true);
    const listed = location.key === '' ? '' : `${location.key}/`;
    const base = this.prefix && !prefix.startsWith('s3://') ? (this.prefix.key === '' ? '' : `${this.prefix.key}/`) : undefined;
    const relative = (fullKey: string) => (base === undefined ? s3Url({ bucket: location.bucket, key: fullKey }) : fullKey.slice(base.length));
    const found: S3Object[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.s3().send(
          new (clientS3().ListObjectsV2Command)({ Bucket: location.bucket, Prefix: listed, Delimiter: recursive ? undefined : '/', ContinuationToken: token }),
        );
        for (const { Prefix } of page.CommonPrefixes ?? []) {
          if (Prefix) found.push(new S3Object(`s3://${location.bucket}/${Prefix}`, relative(Prefix), false, 0, undefined, undefined));
        }
        for (const { Key, Size, LastModified } of page.Contents ?? []) {
          if (Key) found.push(new S3Object(`s3://${location.bucket}/${Key}`, relative(Key), true, Size ?? 0, undefined, undefined, undefined, {}, LastModified));
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (error) {
      throw s3Failure('list', `s3://${location.bucket}/${listed}`, error, this.options);
    }
    return found;
  }

  /** A key under the client's prefix, or a bare `s3://` URL. */
  private locate(key: string, allowEmpty = false): { key: string; location: S3Location } {
    if (key.startsWith('s3://')) return { key, location: parseS3Url(key) };
    if (!this.prefix) {
      throw new DataStoreError(`'${key}' is not an s3:// URL, and this S3 client has no root to resolve it under.`, {
        hint: 'pass a full s3://bucket/key URL, or create the client with { s3root } or { run }',
      });
    }
    const relative = key.replace(/\/+$/, '');
    if (relative === '' && allowEmpty) return { key, location: this.prefix };
    return { key, location: { bucket: this.prefix.bucket, key: joinKey(this.prefix.key, validateStorageKey(relative, s3Url(this.prefix))) } };
  }

  private s3(): S3Client {
    return (this.client ??= createClient(this.options));
  }

  private localDir(): string {
    return (this.tempDir ??= mkdtempSync(join(this.tmpRoot, 'flowkit-s3-')));
  }
}

/** `<s3 root>/<Flow>/<runId>/_datatools`: the run's own corner of the S3 datastore root. */
function runPrefix(run: RunScope, config: Config): S3Location {
  const runId = 'runId' in run ? run.runId : run.id;
  const datastoreRoot = config.get(Settings.defaultDatastore) === 's3' ? config.get(Settings.datastoreRoot) : undefined;
  const root = datastoreRoot ?? config.get(S3Settings.sysroot);
  if (!root) {
    throw new DataStoreError('new S3({ run }) needs an S3 root, and none is configured.', {
      hint: `set ${S3Settings.sysroot}=s3://bucket/prefix, run the flow with --datastore s3, or pass { s3root }`,
    });
  }
  const base = parseS3Url(root);
  return { bucket: base.bucket, key: joinKey(base.key, `${validateId('flow', run.flowName)}/${validateId('run', runId)}/_datatools`) };
}
