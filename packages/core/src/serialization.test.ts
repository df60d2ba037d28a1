import { gzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { decodeBlob, encodeBlob, parsePathspec, PathspecError, validateId, v8Serializer } from './index';

describe('blob encoding', () => {
  test('compressible data is gzipped, random data stored raw, both decode', () => {
    const text = v8Serializer.serialize('a'.repeat(100000));
    const encoded = encodeBlob(text);
    expect(encoded.length).toBeLessThan(text.length / 10);
    expect(decodeBlob(encoded)).toEqual(text);
    const noise = randomBytes(300000);
    noise[0] = 0xff;
    expect(encodeBlob(noise)).toBe(noise);
    expect(decodeBlob(encodeBlob(noise))).toEqual(noise);
  });

  test('a payload that starts like gzip is always compressed, so it decodes to itself', () => {
    const tricky = Buffer.concat([gzipSync(Buffer.from('x')).subarray(0, 2), randomBytes(1000)]);
    expect(decodeBlob(encodeBlob(tricky))).toEqual(tricky);
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
