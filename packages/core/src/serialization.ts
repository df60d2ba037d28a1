import { createHash } from 'node:crypto';
import * as v8 from 'node:v8';
import { gunzipSync, gzipSync } from 'node:zlib';

/**
 * Bytes as one buffer, or as chunks that follow one another: a large value goes to storage as views
 * over its own memory, never copied into one new buffer.
 */
export type Bytes = Buffer | readonly Buffer[];

export function chunksOf(bytes: Bytes): readonly Buffer[] {
  return Buffer.isBuffer(bytes) ? [bytes] : bytes;
}

export function byteLength(bytes: Bytes): number {
  return chunksOf(bytes).reduce((total, chunk) => total + chunk.length, 0);
}

/** Turns artifact values into bytes and back. Plugins may add serializers for types v8 cannot clone. */
export interface Serializer {
  /** Recorded with every artifact so the same serializer reads it back. */
  readonly name: string;
  canSerialize(value: unknown): boolean;
  serialize(value: unknown): Bytes;
  deserialize(data: Buffer): unknown;
}

/** v8 structured serialization: Map, Set, Date, BigInt, typed arrays, Buffer, Error and cycles. */
export const v8Serializer: Serializer = {
  name: 'v8',
  canSerialize: () => true,
  serialize: (value) => v8.serialize(value),
  deserialize: (data) => v8.deserialize(data),
};

const TYPED_ARRAYS = [
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array, Buffer,
] as const;
/** Type tag, then padding so the payload starts 8-byte aligned in a buffer read from disk. */
const TYPED_HEADER = 8;

/**
 * Typed arrays and Buffers as their raw bytes behind an 8-byte header. Neither direction copies:
 * writing hands storage a view over the array's memory, reading back is a view over the bytes read.
 */
export const typedArraySerializer: Serializer = {
  name: 'typed-array',
  canSerialize: (value) => TYPED_ARRAYS.some((type) => (value as object)?.constructor === type),
  serialize(value) {
    const view = value as ArrayBufferView;
    const header = Buffer.alloc(TYPED_HEADER);
    header[0] = TYPED_ARRAYS.findIndex((type) => view.constructor === type);
    return [header, Buffer.from(view.buffer, view.byteOffset, view.byteLength)];
  },
  deserialize(data) {
    const type = TYPED_ARRAYS[data[0] as number];
    if (!type) throw new Error(`unknown typed-array tag ${data[0]}`);
    if (type === Buffer) return data.subarray(TYPED_HEADER);
    const width = (type as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
    // A small buffer may sit unaligned in Node's pool; copying it once keeps the view valid.
    const bytes = (data.byteOffset + TYPED_HEADER) % width === 0 ? data : Buffer.from(data);
    const Typed = type as unknown as new (buffer: ArrayBufferLike, offset: number, length: number) => ArrayBufferView;
    return new Typed(bytes.buffer, bytes.byteOffset + TYPED_HEADER, (bytes.length - TYPED_HEADER) / width);
  },
};

export function sha256(bytes: Bytes): string {
  const hash = createHash('sha256');
  for (const chunk of chunksOf(bytes)) hash.update(chunk);
  return hash.digest('hex');
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
export function encodeBlob(data: Bytes): Bytes {
  const chunks = chunksOf(data);
  const sample = chunks.length === 1 ? (chunks[0] as Buffer).subarray(0, SAMPLE_BYTES) : Buffer.concat(chunks.map((c) => c.subarray(0, SAMPLE_BYTES))).subarray(0, SAMPLE_BYTES);
  const looksCompressed = sample[0] === GZIP_MAGIC[0] && sample[1] === GZIP_MAGIC[1];
  const compressedSample = gzipSync(sample, { level: 1 });
  if (!looksCompressed && compressedSample.length > sample.length * WORTH_COMPRESSING) return data;
  if (sample.length === byteLength(data)) return compressedSample;
  return gzipSync(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks), { level: 1 });
}

export function decodeBlob(stored: Buffer): Buffer {
  return stored[0] === GZIP_MAGIC[0] && stored[1] === GZIP_MAGIC[1] ? gunzipSync(stored) : stored;
}

/**
 * JSON text for any artifact value, for people and tools that read JSON: Map becomes an object, Set and
 * typed arrays (Buffer too) arrays, BigInt a decimal string.
 */
export function artifactToJson(value: unknown, space?: number): string {
  return JSON.stringify(
    value,
    function replacer(this: unknown, key: string, serialized: unknown) {
      // The raw value, before toJSON (Buffer's would give { type, data }); the root sits under '' in its holder.
      const raw = (this as Record<string, unknown>)[key];
      if (typeof raw === 'bigint') return raw.toString();
      if (raw instanceof Map) return Object.fromEntries(raw);
      if (raw instanceof Set) return [...raw];
      if (ArrayBuffer.isView(raw) && !(raw instanceof DataView)) return Array.from(raw as unknown as ArrayLike<number>);
      return serialized;
    },
    space,
  ) ?? 'null';
}

