import { mkdtempSync, readdirSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Config, ConfigError, PathspecError } from '@flowkit/core/plugin';
import { BlobCache } from './blobCache';
import { parseObjectUrl, type ObjectUrlScheme } from './objectUrl';
import { cacheSettings, numberSetting } from './settings';
import { PART_BYTES, readRanges } from './transfer';

const URLS: ObjectUrlScheme = { scheme: 'xs', urlName: 'an XS URL', bucket: /^[a-z]{3,}$/, bucketRule: 'three or more lowercase letters' };

describe('what object stores share', () => {
  test('the blob cache keeps whole blobs, skips ones too large for it, evicts the least recently used, and can be off', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowkit-blob-cache-'));
    const cache = new BlobCache(dir, 1000);
    cache.write('bucket/a', Buffer.alloc(240, 1));
    // More than a quarter of the cache would push out too much else.
    cache.write('bucket/too-large', Buffer.alloc(251));
    expect(cache.read('bucket/a')).toEqual(Buffer.alloc(240, 1));
    expect(cache.read('bucket/too-large')).toBeUndefined();
    for (const name of ['b', 'c', 'd']) cache.write(`bucket/${name}`, Buffer.alloc(240));
    ['a', 'b', 'c'].forEach((name, i) => utimesSync(join(dir, 'bucket', name), new Date(1000 * (i + 1)), new Date(1000 * (i + 1))));
    // Past the limit, the least recently used go until the cache is down to 80% of it.
    cache.write('bucket/e', Buffer.alloc(240));
    expect(readdirSync(join(dir, 'bucket')).sort()).toEqual(['c', 'd', 'e']);
    const off = new BlobCache(mkdtempSync(join(tmpdir(), 'flowkit-blob-cache-')), 0);
    off.write('bucket/a', Buffer.from('x'));
    expect(off.read('bucket/a')).toBeUndefined();
  });

  test('readRanges fills a buffer from parallel ranges of PART_BYTES; a short range is an error', async () => {
    const source = Buffer.alloc(2 * PART_BYTES + 5);
    for (let i = 0; i < source.length; i += 4096) source[i] = i % 251;
    const target = Buffer.alloc(source.length);
    source.copy(target, 0, 0, 10);
    const asked: Array<[number, number]> = [];
    await readRanges(target, 10, async (start, end) => {
      asked.push([start, end]);
      return Readable.from([source.subarray(start, end + 1)]);
    });
    expect(target.equals(source)).toBe(true);
    expect(asked).toEqual([[10, PART_BYTES + 9], [PART_BYTES + 10, 2 * PART_BYTES + 4]]);
    await expect(readRanges(Buffer.alloc(100), 0, async () => Readable.from([Buffer.alloc(10)]))).rejects.toThrow('range 0-99 returned 10 bytes');
  });

  test('object URLs: a bucket, then a key checked like any datastore key; what is wrong is named', () => {
    expect(parseObjectUrl('xs://abc/a/b/', URLS)).toEqual({ bucket: 'abc', key: 'a/b' });
    expect(parseObjectUrl('xs://abc', URLS)).toEqual({ bucket: 'abc', key: '' });
    expect(() => parseObjectUrl('xs://', URLS)).toThrow('"xs://" is not an XS URL: it names no bucket.');
    expect(() => parseObjectUrl('xs://AB/k', URLS)).toThrow('"xs://AB/k" is not an XS URL: "AB" is not a bucket name.');
    expect(() => parseObjectUrl('ys://abc/k', URLS)).toThrow(ConfigError);
    expect(() => parseObjectUrl('xs://abc/../k', URLS)).toThrow(PathspecError);
  });

  test('numeric settings: the default when unset, else a valid number, else an error naming the setting', () => {
    const config = new Config({ WHOLE: '3', FRACTION: '0.5', BAD: '1.5', EMPTY: ' ' });
    expect([numberSetting(config, 'UNSET', 7, 1), numberSetting(config, 'WHOLE', 7, 1), numberSetting(config, 'FRACTION', 2, 0.001, true)]).toEqual([7, 3, 0.5]);
    expect(() => numberSetting(config, 'BAD', 7, 1)).toThrow('BAD=1.5 is not valid.');
    expect(() => numberSetting(config, 'EMPTY', 7, 0)).toThrow('EMPTY=  is not valid.');
    expect(cacheSettings(new Config({ DIR: '/c', BYTES: '0' }), 'DIR', 'BYTES', 'x')).toEqual({ cacheDir: '/c', cacheBytes: 0 });
  });
});
