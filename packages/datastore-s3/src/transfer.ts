import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { DataStoreError, byteLength, chunksOf, networkFailure, type Bytes } from '@flowkit/core/plugin';
import { LARGE_OBJECT_BYTES, PARTS_IN_FLIGHT, PART_BYTES, isStreamFailure, readInto, readRanges } from '@flowkit/datastore-objects';
import type { S3Client } from '@aws-sdk/client-s3';
import { backoffDelay } from './retry';
import { clientS3, libStorage } from './sdk';
import { S3Settings, type S3Options } from './settings';

/** An object's bytes and what S3 keeps with them. */
export interface Downloaded {
  data: Buffer;
  contentType?: string;
  metadata: Record<string, string>;
  lastModified?: Date;
}

/** What S3 keeps with an object besides its bytes. */
export interface ObjectAttributes {
  contentType?: string;
  metadata?: Record<string, string>;
}

/**
 * Reads an object into one buffer allocated at its full size, so a large object never needs twice its
 * size in memory: a large one's first part comes from the plain GET, the rest in parallel ranges.
 * Undefined when the object does not exist. The SDK retries each request; a connection cut while a body
 * streams is retried here.
 */
export async function downloadObject(client: S3Client, bucket: string, key: string, retry: Pick<S3Options, 'maxAttempts' | 'retryBaseMs'>): Promise<Downloaded | undefined> {
  const { GetObjectCommand } = clientS3();
  for (let attempt = 1; ; attempt++) {
    try {
      const first = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const total = first.ContentLength ?? 0;
      const data = Buffer.allocUnsafe(total);
      // A small body is read to its end, so its connection goes back to the pool: stopping at its last byte
      // destroyed the socket, and every GET opened a new connection.
      const streamed = await readInto(first.Body as Readable, data, 0, total < LARGE_OBJECT_BYTES ? Infinity : PART_BYTES);
      if (total < LARGE_OBJECT_BYTES && streamed !== total) throw new Error(`got ${streamed} of ${total} bytes`);
      await readRanges(data, streamed, async (start, end) => {
        const part = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${end}`, IfMatch: first.ETag }));
        return part.Body as Readable;
      });
      return { data, contentType: first.ContentType, metadata: first.Metadata ?? {}, lastModified: first.LastModified };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      if (attempt >= retry.maxAttempts || !isStreamFailure(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt, retry.retryBaseMs)));
    }
  }
}

/**
 * Writes an object whole (one PUT) or, when large, in parts that each retry on their own; chunks of a
 * large object stream into the parts, never joined into one buffer.
 */
export async function uploadObject(client: S3Client, bucket: string, key: string, body: Bytes, attributes: ObjectAttributes = {}): Promise<void> {
  const chunks = chunksOf(body);
  const extra = { ContentType: attributes.contentType, Metadata: attributes.metadata };
  if (byteLength(body) >= LARGE_OBJECT_BYTES) {
    await multipart(client, { Bucket: bucket, Key: key, Body: chunks.length === 1 ? (chunks[0] as Buffer) : Readable.from(chunks), ...extra });
  } else {
    await client.send(new (clientS3().PutObjectCommand)({ Bucket: bucket, Key: key, Body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks), ...extra }));
  }
}

/** Writes a local file as an object, streaming it in parts when large. */
export async function uploadFile(client: S3Client, bucket: string, key: string, path: string, attributes: ObjectAttributes = {}): Promise<void> {
  const { size } = await stat(path);
  if (size < LARGE_OBJECT_BYTES) return uploadObject(client, bucket, key, await readFile(path), attributes);
  await multipart(client, { Bucket: bucket, Key: key, Body: createReadStream(path), ContentType: attributes.contentType, Metadata: attributes.metadata });
}

async function multipart(client: S3Client, params: { Bucket: string; Key: string; Body: Buffer | Readable; ContentType?: string; Metadata?: Record<string, string> }): Promise<void> {
  const { Upload } = libStorage();
  await new Upload({ client, params, partSize: PART_BYTES, queueSize: PARTS_IN_FLIGHT }).done();
}

/** A missing key (GET says NoSuchKey, HEAD says NotFound); a missing bucket is NoSuchBucket. */
export function isNotFound(error: unknown): boolean {
  const name = (error as Error).name;
  return name === 'NoSuchKey' || name === 'NotFound';
}

/** A one-line DataStoreError for a failed S3 call: what, where, and the SDK's cause. */
export function s3Failure(action: string, url: string, error: unknown, options: S3Options): DataStoreError {
  if (error instanceof DataStoreError) return error;
  const name = (error as Error).name;
  const code = networkFailure(error);
  if (code || name === 'TimeoutError') {
    return new DataStoreError(`Cannot ${action} ${url}: the S3 endpoint ${options.endpoint ?? '(AWS)'} did not answer (${code ?? name}), ${options.maxAttempts} attempts.`, {
      hint: `check that the endpoint is up and ${S3Settings.endpointUrl} is right, then try again (a failed run resumes)`,
      cause: error,
    });
  }
  if (name === 'CredentialsProviderError') {
    return new DataStoreError(`Cannot ${action} ${url}: no AWS credentials were found.`, {
      hint: 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, where the SDK looks for them',
      cause: error,
    });
  }
  if (name === 'NoSuchBucket') {
    return new DataStoreError(`Cannot ${action} ${url}: the bucket does not exist.`, { hint: 'create it, or use another bucket', cause: error });
  }
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return new DataStoreError(`Cannot ${action} ${url}: ${name}: ${(error as Error).message || `HTTP ${status ?? '?'}`}`, { cause: error });
}
