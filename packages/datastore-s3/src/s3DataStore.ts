import { DataStoreError, type Bytes, type Config } from '@flowkit/core/plugin';
import { ObjectDataStore, type ListPage } from '@flowkit/datastore-objects';
import type { S3Client } from '@aws-sdk/client-s3';
import { clientS3, presigner } from './sdk';
import { S3Settings, createClient, s3Options, type S3Options } from './settings';
import { downloadObject, isNotFound, s3Failure, uploadFile, uploadObject } from './transfer';
import { S3_URLS } from './url';

/** The sync-read worker's handler, defined in index.ts (the module every code package loads). */
export const SYNC_GET_HANDLER = 'flowkit.s3.get';

/**
 * A DataStore on `s3://bucket/prefix` (keys, cache and synchronous reads as every object store:
 * ObjectDataStore). Large objects go up in parts and come down in parallel ranges.
 */
export class S3DataStore extends ObjectDataStore {
  private readonly options: S3Options;
  private client: S3Client | undefined;

  constructor(
    root: string,
    config: Config,
    /** The module that defines the sync-read handler (index.js, or the code package bundling it). */
    handlerModule?: string,
  ) {
    const options = s3Options(config);
    super(root, config, { urls: S3_URLS, syncHandler: SYNC_GET_HANDLER, handlerModule, ...options });
    this.options = options;
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
      throw this.failure('reach', `s3://${bucket}`, error);
    }
  }

  /** A presigned GET URL: a task in a container fetches the code package with it, holding no credentials. */
  async url(key: string, expiresSeconds: number): Promise<string> {
    const command = new (clientS3().GetObjectCommand)({ Bucket: this.location.bucket, Key: this.key(key) });
    return presigner().getSignedUrl(this.s3(), command, { expiresIn: expiresSeconds });
  }

  protected async readObject(objectKey: string): Promise<Buffer | undefined> {
    return (await downloadObject(this.s3(), this.location.bucket, objectKey, this.options))?.data;
  }

  /** S3 has no create-only write here: ifAbsent checks first (a concurrent writer writes the same content-addressed bytes). */
  protected async writeObject(objectKey: string, data: Bytes, ifAbsent: boolean): Promise<void> {
    if (ifAbsent && (await this.objectSize(objectKey)) !== undefined) return;
    await uploadObject(this.s3(), this.location.bucket, objectKey, data);
  }

  protected async writeFile(objectKey: string, path: string): Promise<void> {
    await uploadFile(this.s3(), this.location.bucket, objectKey, path);
  }

  protected async objectSize(objectKey: string): Promise<number | undefined> {
    try {
      return (await this.s3().send(new (clientS3().HeadObjectCommand)({ Bucket: this.location.bucket, Key: objectKey }))).ContentLength ?? 0;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  protected async listPage(prefix: string, token: string | undefined): Promise<ListPage> {
    const page = await this.s3().send(new (clientS3().ListObjectsV2Command)({ Bucket: this.location.bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token }));
    return {
      prefixes: (page.CommonPrefixes ?? []).flatMap(({ Prefix }) => (Prefix ? [Prefix] : [])),
      keys: (page.Contents ?? []).flatMap(({ Key }) => (Key ? [Key] : [])),
      next: page.IsTruncated ? page.NextContinuationToken : undefined,
    };
  }

  protected failure(action: string, url: string, error: unknown): DataStoreError {
    return s3Failure(action, url, error, this.options);
  }

  protected closeClient(): void {
    this.client?.destroy();
    this.client = undefined;
  }

  private s3(): S3Client {
    return (this.client ??= createClient(this.options));
  }
}
