import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Config, DataStoreError } from '@flowkit/core/plugin';
import { S3 } from '@flowkit/datastore-s3';
import { S3TestServer } from '../../../test/helpers/s3server';

let server: S3TestServer;
let config: Config;
beforeAll(async () => {
  server = await S3TestServer.start(['flowkit']);
  const env = server.env('s3://flowkit/sysroot');
  // Credentials reach the SDK through its default chain (the environment), never through FlowKit settings.
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY, AWS_REGION: env.AWS_REGION });
  config = new Config(env);
});
afterAll(async () => {
  await server.close();
});

describe('datatools S3', () => {
  test('put and get one object: url, key, blob, text, size, contentType, metadata, and a local file removed on close', async () => {
    const s3 = new S3({ s3root: 's3://flowkit/tools/one', config });
    const url = await s3.put('greeting.txt', 'hello ü', { contentType: 'text/plain', metadata: { origin: 'test' } });
    expect(url).toBe('s3://flowkit/tools/one/greeting.txt');
    const object = await s3.get('greeting.txt');
    expect([object.url, object.key, object.exists, object.size, object.text]).toEqual([url, 'greeting.txt', true, Buffer.byteLength('hello ü'), 'hello ü']);
    expect(object.blob.equals(Buffer.from('hello ü'))).toBe(true);
    expect(object.contentType).toBe('text/plain');
    expect(object.metadata).toEqual({ origin: 'test' });
    expect(readFileSync(object.path, 'utf8')).toBe('hello ü');
    await s3.close();
    expect(existsSync(object.path)).toBe(false);
  });

  test('many objects in parallel, in order; missing keys are an error naming them, or returned with exists: false', async () => {
    await using s3 = new S3({ s3root: 's3://flowkit/tools/many', config });
    const keys = Array.from({ length: 40 }, (_, i) => `part-${i}`);
    const urls = await s3.putMany(keys.map((key, i) => ({ key, value: Buffer.alloc(1000 + i, i) })));
    expect(urls[7]).toBe('s3://flowkit/tools/many/part-7');
    const objects = await s3.getMany(keys);
    expect(objects.map((o) => o.size)).toEqual(keys.map((_, i) => 1000 + i));
    expect(objects[39]?.blob[0]).toBe(39);
    await expect(s3.getMany(['part-1', 'nope-a', 'nope-b'])).rejects.toThrow('2 objects not found: s3://flowkit/tools/many/nope-a, s3://flowkit/tools/many/nope-b.');
    const withMissing = await s3.getMany(['part-1', 'nope-a'], { returnMissing: true });
    expect(withMissing.map((o) => o.exists)).toEqual([true, false]);
    expect(() => withMissing[1]?.blob).toThrow('s3://flowkit/tools/many/nope-a does not exist.');
    await expect(s3.get('nope-a')).rejects.toThrow(DataStoreError);
  });

  test('putFiles, list, listRecursive, getAll, getRecursive and info', async () => {
    await using s3 = new S3({ s3root: 's3://flowkit/tools/tree', config });
    const dir = mkdtempSync(join(tmpdir(), 'flowkit-datatools-'));
    writeFileSync(join(dir, 'a.csv'), 'x,y\n1,2\n');
    writeFileSync(join(dir, 'b.json'), '{"b":1}');
    await s3.putFiles([{ key: 'a.csv', path: join(dir, 'a.csv'), contentType: 'text/csv' }, { key: 'sub/b.json', path: join(dir, 'b.json') }]);
    expect((await s3.list()).map((o) => [o.key, o.exists]).sort()).toEqual([['a.csv', true], ['sub/', false]]);
    expect((await s3.listRecursive()).map((o) => o.key).sort()).toEqual(['a.csv', 'sub/b.json']);
    expect((await s3.getAll()).map((o) => o.text).sort()).toEqual(['x,y\n1,2\n', '{"b":1}']);
    expect((await s3.getRecursive(['sub'])).map((o) => o.url)).toEqual(['s3://flowkit/tools/tree/sub/b.json']);
    const info = await s3.info('a.csv');
    expect([info.size, info.contentType, info.exists]).toEqual([8, 'text/csv', true]);
    expect(() => info.blob).toThrow('was not downloaded (info or list)');
    expect((await s3.info('none', { returnMissing: true })).exists).toBe(false);
  });

  test('bare URLs without a root; a relative key without one is refused; keys cannot climb out', async () => {
    await using s3 = new S3({ config });
    await s3.put('s3://flowkit/tools/bare/x', 'bare');
    expect((await s3.get('s3://flowkit/tools/bare/x')).text).toBe('bare');
    await expect(s3.get('x')).rejects.toThrow("'x' is not an s3:// URL, and this S3 client has no root");
    await using scoped = new S3({ s3root: 's3://flowkit/tools/scoped', config });
    await expect(scoped.get('../secret')).rejects.toThrow('Refusing datastore key');
  });

  test('scoped to a run: `<s3 root>/<Flow>/<runId>/_datatools/`', async () => {
    await using s3 = new S3({ run: { flowName: 'PlayFlow', runId: '12' }, config });
    expect(await s3.put('model.bin', Buffer.from([1, 2]))).toBe('s3://flowkit/sysroot/PlayFlow/12/_datatools/model.bin');
    await using fromClientRun = new S3({ run: { flowName: 'PlayFlow', id: '12' }, config });
    expect((await fromClientRun.get('model.bin')).blob).toEqual(Buffer.from([1, 2]));
    expect(() => new S3({ run: { flowName: 'PlayFlow', runId: '../1' }, config })).toThrow('Invalid run id');
    expect(() => new S3({ run: { flowName: 'PlayFlow', runId: '1' }, config: new Config({}) })).toThrow('new S3({ run }) needs an S3 root');
  });

  test('a failing many-object operation names the URL and the cause', async () => {
    await using s3 = new S3({ config });
    await expect(s3.getMany(['s3://flowkit/tools/many/part-1', 's3://no-such-bucket/k'])).rejects.toThrow('Cannot get s3://no-such-bucket/k: the bucket does not exist.');
    await using down = new S3({ config: config.with({ FLOWKIT_S3_ENDPOINT_URL: 'http://127.0.0.1:9', FLOWKIT_S3_MAX_ATTEMPTS: '2' }) });
    await expect(down.putMany([{ key: 's3://flowkit/k', value: 'v' }])).rejects.toThrow(/Cannot put s3:\/\/flowkit\/k: the S3 endpoint http:\/\/127.0.0.1:9 did not answer \(ECONNREFUSED\)/);
  });
});
