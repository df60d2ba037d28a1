import { gzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { PathspecError } from './errors';
import { parsePathspec, validateId } from './pathspec';
import { artifactToJson, chunksOf, decodeBlob, encodeBlob, sha256, typedArraySerializer, v8Serializer, type Bytes } from './serialization';

const joined = (bytes: Bytes) => Buffer.concat(chunksOf(bytes));

describe('blob encoding', () => {
  test('compressible data is gzipped, random data stored raw, both decode', () => {
    const text = v8Serializer.serialize('a'.repeat(100000));
    const encoded = joined(encodeBlob(text));
    expect(encoded.length).toBeLessThan(text.length / 10);
    expect(decodeBlob(encoded)).toEqual(joined(text));
    const noise = randomBytes(300000);
    noise[0] = 0xff;
    expect(encodeBlob(noise)).toBe(noise);
    expect(decodeBlob(joined(encodeBlob(noise)))).toEqual(noise);
  });

  test('a payload that starts like gzip is always compressed, so it decodes to itself', () => {
    const tricky = Buffer.concat([gzipSync(Buffer.from('x')).subarray(0, 2), randomBytes(1000)]);
    expect(decodeBlob(joined(encodeBlob(tricky)))).toEqual(tricky);
  });

  test('chunks encode and hash as the bytes they join to; a large raw payload stays in its chunks', () => {
    const text = Buffer.from('abc'.repeat(200000));
    const parts = [text.subarray(0, 1), text.subarray(1, 5000), text.subarray(5000)];
    expect(sha256(parts)).toBe(sha256(text));
    expect(decodeBlob(joined(encodeBlob(parts)))).toEqual(text);
    const noise = [Buffer.from([0xff]), randomBytes(1 << 20)];
    expect(encodeBlob(noise)).toBe(noise);
    const gzipStart = [Buffer.from([0x1f]), Buffer.from([0x8b]), randomBytes(1000)];
    expect(decodeBlob(joined(encodeBlob(gzipStart)))).toEqual(joined(gzipStart));
  });
});

describe('ids from outside', () => {
  test.each(['..', '../x', 'a/b', 'a\u0000b', '', ' 1', 'x'.repeat(200)])('run id %j is refused', (id) => {
    expect(() => validateId('run', id)).toThrow(PathspecError);
  });

  test('pathspecs parse into validated parts', () => {
    expect(parsePathspec('Flow/12/start/3')).toEqual({ flow: 'Flow', run: '12', step: 'start', task: '3' });
    expect(() => parsePathspec('Flow/12/../3')).toThrow('Invalid step id');
    expect(() => parsePathspec('Flow/1/a/2/3')).toThrow('too many parts');
  });
});

describe('typed-array serializer', () => {
  test.each([
    new Float64Array([1.5, -2, Math.PI]),
    new Int8Array([-1, 2]),
    new BigInt64Array([-(2n ** 62n), 5n]),
    new Uint8ClampedArray([255, 0]),
    Buffer.from('héllo'),
    new Float32Array(new ArrayBuffer(64), 8, 4),
  ])('%p round-trips with its type', (value) => {
    expect(typedArraySerializer.canSerialize(value)).toBe(true);
    const back = typedArraySerializer.deserialize(joined(typedArraySerializer.serialize(value))) as ArrayBufferView;
    expect(back.constructor).toBe(value.constructor);
    expect(Array.from(back as unknown as ArrayLike<number>)).toEqual(Array.from(value as unknown as ArrayLike<number>));
  });

  test('reads are views over the stored bytes, also when the bytes sit unaligned', () => {
    const stored = joined(typedArraySerializer.serialize(new Float64Array([1, 2, 3])));
    const padded = Buffer.concat([Buffer.alloc(3), stored]).subarray(3);
    expect(Array.from(typedArraySerializer.deserialize(padded) as Float64Array)).toEqual([1, 2, 3]);
    expect(typedArraySerializer.canSerialize([1, 2])).toBe(false);
    expect(typedArraySerializer.canSerialize(new DataView(new ArrayBuffer(8)))).toBe(false);
  });
});

describe('artifactToJson', () => {
  test('a Buffer or typed array is an array of numbers at the root and inside values alike', () => {
    expect(JSON.parse(artifactToJson(Buffer.from('hi')))).toEqual([104, 105]);
    expect(JSON.parse(artifactToJson({ b: Buffer.from('hi'), m: new Map([['k', 1n]]) }))).toEqual({ b: [104, 105], m: { k: '1' } });
  });
});
