import { createHash } from 'node:crypto';
import * as v8 from 'node:v8';
import { gunzipSync, gzipSync } from 'node:zlib';

/** Turns artifact values into bytes and back. Plugins may add serializers for types v8 cannot clone. */
export interface Serializer {
  /** Recorded with every artifact so the same serializer reads it back. */
  readonly name: string;
  canSerialize(value: unknown): boolean;
  serialize(value: unknown): Buffer;
  deserialize(data: Buffer): unknown;
}

/** v8 structured serialization: Map, Set, Date, BigInt, typed arrays, Buffer, Error and cycles. */
export const v8Serializer: Serializer = {
  name: 'v8',
  canSerialize: () => true,
  serialize: (value) => v8.serialize(value),
  deserialize: (data) => v8.deserialize(data),
};

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

const GZIP_MAGIC = [0x1f, 0x8b];
const SAMPLE_BYTES = 256 * 1024;
/** Below this ratio on a sample, compressing pays for its CPU time. */
const WORTH_COMPRESSING = 0.9;

/**
 * Compresses a serialized blob when a sample shows it pays (random numeric data does not).
 * A stored blob is gzip exactly when it starts with the gzip magic: a payload that happens to start
 * with it is always compressed, so readers can tell the two apart.
 */
export function encodeBlob(data: Buffer): Buffer {
  const looksCompressed = data[0] === GZIP_MAGIC[0] && data[1] === GZIP_MAGIC[1];
  const sample = data.subarray(0, SAMPLE_BYTES);
  const compressedSample = gzipSync(sample, { level: 1 });
  if (!looksCompressed && compressedSample.length > sample.length * WORTH_COMPRESSING) return data;
  return sample.length === data.length ? compressedSample : gzipSync(data, { level: 1 });
}

export function decodeBlob(stored: Buffer): Buffer {
  return stored[0] === GZIP_MAGIC[0] && stored[1] === GZIP_MAGIC[1] ? gunzipSync(stored) : stored;
}
