import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { byteLength, chunksOf, type Bytes } from '@flowkit/core/plugin';
import { LARGE_OBJECT_BYTES, PART_BYTES, readInto, readRanges } from '@flowkit/datastore-objects';
import type { Bucket, File, SaveOptions, UploadOptions } from '@google-cloud/storage';
import { isMissingObject, statusOf } from './failures';
import { withRetries } from './retry';
import { gcsSdk } from './sdk';
import type { GcsOptions } from './settings';

/** One ranged read as it starts: the body still to stream, and what the headers say of the whole object. */
interface OpenedRange {
  body: Readable;
  total: number;
  generation?: string;
  hashes: Record<string, string>;
}

/**
 * Reads an object into one buffer allocated at its full size, so a large object never needs twice its
 * size in memory. The first request asks for the first part as a range, which tells the object's size:
 * small objects are done in that one request, large ones fetch the rest in parallel ranges pinned to its
 * generation (a replaced object fails the read instead of mixing two). Ranged reads get no validation from
 * the client, so the whole is checked here against the object's md5 (crc32c for composite objects, which
 * have none). Undefined when the object does not exist. `bucket` comes from a client that retries nothing
 * itself (createReadStorage): a failed read is retried here whole, from a fresh first range.
 */
export function downloadObject(bucket: Bucket, key: string, retry: Pick<GcsOptions, 'maxRetries' | 'retryMultiplier'>): Promise<Buffer | undefined> {
  return withRetries(retry, () => download(bucket, key));
}

async function download(bucket: Bucket, key: string): Promise<Buffer | undefined> {
  let first: OpenedRange;
  try {
    first = await openRange(bucket.file(key), 0, PART_BYTES - 1);
  } catch (error) {
    if (isMissingObject(error)) return undefined;
    // Any range of an empty object is unsatisfiable.
    if (statusOf(error) === 416) return Buffer.alloc(0);
    throw error;
  }
  const data = Buffer.allocUnsafe(first.total);
  const streamed = await readInto(first.body, data, 0);
  // Fewer bytes than asked is a cut answer; more is a server that sent the whole object (then no ranges follow).
  if (streamed < Math.min(first.total, PART_BYTES)) throw new Error(`got ${streamed} of ${first.total} bytes`);
  const pinned = bucket.file(key, first.generation ? { generation: Number(first.generation) } : {});
  await readRanges(data, streamed, async (start, end) => (await openRange(pinned, start, end)).body);
  verify(data, first.hashes);
  return data;
}

function openRange(file: File, start: number, end: number): Promise<OpenedRange> {
  const body = file.createReadStream({ start, end });
  return new Promise((resolve, reject) => {
    body.once('error', reject);
    body.once('response', (response: { statusCode: number; headers: Record<string, string | undefined> }) => {
      // An error answer is followed by the stream's error, with the service's message.
      if (response.statusCode >= 300) return;
      body.off('error', reject);
      const { headers } = response;
      const total = Number(/\/(\d+)$/.exec(headers['content-range'] ?? '')?.[1] ?? headers['content-length'] ?? 0);
      const hashes = Object.fromEntries((headers['x-goog-hash'] ?? '').split(',').map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
      resolve({ body, total, generation: headers['x-goog-generation'], hashes });
    });
    // The client sends the request when the stream is first read.
    body.read(0);
  });
}

function verify(data: Buffer, hashes: Record<string, string>): void {
  let expected: string | undefined;
  let actual: string;
  if (hashes.md5) {
    expected = hashes.md5;
    actual = createHash('md5').update(data).digest('base64');
  } else {
    expected = hashes.crc32c;
    const crc = new (gcsSdk().CRC32C)();
    crc.update(data);
    actual = crc.toString();
  }
  if (expected !== undefined && expected !== actual) throw new Error(`the bytes read do not match the object's checksum (${actual}, expected ${expected})`);
}

/**
 * Writes an object: small ones in one multipart request, large ones as a resumable upload in chunks that
 * each retry on their own. A large object's chunks stream into the upload, never joined into one buffer.
 * `ifAbsent` writes create-only (`ifGenerationMatch: 0`): an object already there is kept, which is what a
 * 412 means here (also when a retry finds the first attempt's write done).
 */
export async function uploadObject(bucket: Bucket, key: string, body: Bytes, ifAbsent: boolean): Promise<void> {
  const large = byteLength(body) >= LARGE_OBJECT_BYTES;
  const options: SaveOptions = { ...uploadOptions(large), preconditionOpts: ifAbsent ? { ifGenerationMatch: 0 } : undefined };
  const chunks = chunksOf(body);
  const file = bucket.file(key);
  try {
    if (large && chunks.length > 1) await pipeline(Readable.from(chunks), file.createWriteStream(options));
    else await file.save(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks), options);
  } catch (error) {
    if (ifAbsent && statusOf(error) === 412) return;
    throw error;
  }
}

/** Uploads a local file (logs), streamed; the client re-reads the file when it retries the whole upload. */
export async function uploadFile(bucket: Bucket, key: string, path: string): Promise<void> {
  const { size } = await stat(path);
  const options: UploadOptions = { ...uploadOptions(size >= LARGE_OBJECT_BYTES), destination: key };
  await bucket.upload(path, options);
}

/** md5 validation: computed natively, unlike the client's default crc32c (in JavaScript, far slower on large objects). */
function uploadOptions(large: boolean): { resumable: boolean; chunkSize?: number; validation: 'md5' } {
  return large ? { resumable: true, chunkSize: PART_BYTES, validation: 'md5' } : { resumable: false, validation: 'md5' };
}
