import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Config, DataStoreError, FlowDataStore, PathspecError, PluginRegistry } from '@flowkit/core/plugin';
// The built package: its sync-read worker loads compiled JavaScript, as in a task process.
import { S3DataStore, plugin } from '@flowkit/datastore-s3';
import { S3TestServer } from '../../../test/helpers/s3server';

let server: S3TestServer;
beforeAll(async () => {
  server = await S3TestServer.start(['flowkit']);
});
afterAll(async () => {
  await server.close();
});

const open = (root = `s3://flowkit/unit-${randomBytes(4).toString('hex')}`, extra: Record<string, string> = {}) => {
  const env = { ...server.env(root), ...extra };
  // The SDK reads credentials from the environment (its default chain), never from FlowKit settings.
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY, AWS_REGION: env.AWS_REGION });
  return { store: new S3DataStore(root, new Config(env), require.resolve('@flowkit/datastore-s3')), env };
};

describe('S3DataStore', () => {
  test('put/get/exists/list round-trip; missing keys read as undefined', async () => {
    const { store } = open();
    await store.put('Flow/data/ab/abc', Buffer.from('one'));
    await store.put('Flow/1/start/1/0.DONE', Buffer.alloc(0));
    expect((await store.get('Flow/data/ab/abc'))?.toString()).toBe('one');
    expect((await store.get('Flow/1/start/1/0.DONE'))?.length).toBe(0);
    expect(await store.exists('Flow/data/ab/abc')).toBe(true);
    expect(await store.exists('Flow/data/ab/none')).toBe(false);
    expect(await store.get('Flow/nothing')).toBeUndefined();
    await store.put('Flow/1/start/1/0.data.json', Buffer.from('{}'));
    // s3rver lists a sub-prefix only when an object sits directly in it (real S3 has no such limit).
    expect((await store.list('Flow/1/start')).sort()).toEqual(['1']);
    expect((await store.list('Flow/1/start/1')).sort()).toEqual(['0.DONE', '0.data.json']);
    expect(await store.list('Flow/data/ab')).toEqual(['abc']);
    expect(await store.list('Flow/none')).toEqual([]);
    store.close();
  });

  test('ifAbsent keeps the first write (content-addressed blobs are written once)', async () => {
    const { store } = open();
    await store.put('k', Buffer.from('first'), { ifAbsent: true });
    await store.put('k', Buffer.from('second'), { ifAbsent: true });
    expect((await store.get('k'))?.toString()).toBe('first');
    store.close();
  });

  test('a large object goes up in parts and comes back whole; putFile streams a file', async () => {
    const { store } = open();
    const big = randomBytes(70 * 1024 * 1024);
    await store.put('big', big);
    expect((await store.get('big'))?.equals(big)).toBe(true);
    expect((await server.requests()).some((r) => r.method === 'POST' && r.path.includes('uploads'))).toBe(true);
    const file = join(mkdtempSync(join(tmpdir(), 'flowkit-s3-file-')), 'log');
    writeFileSync(file, 'line 1\nline 2\n');
    await store.putFile('Flow/1/start/1/0.stdout.log', file);
    expect((await store.get('Flow/1/start/1/0.stdout.log'))?.toString()).toBe('line 1\nline 2\n');
    store.close();
  }, 60000);

  test('getSync reads a blob through the worker on a miss, then from the local cache', async () => {
    const { store: writer } = open();
    const flowStore = new FlowDataStore(writer, 'SyncFlow');
    const ref = await flowStore.saveValue('x', new Map([['answer', 42]]));
    const { store: reader, env } = open(writer.root);
    const readerFlow = new FlowDataStore(reader, 'SyncFlow');
    const gets = async () => (await server.requests()).filter((r) => r.method === 'GET' && r.path.includes(ref.sha)).length;
    const before = await gets();
    expect(readerFlow.loadValueSync(ref)).toEqual(new Map([['answer', 42]]));
    expect(await gets()).toBe(before + 1);
    expect(readerFlow.loadValueSync(ref)).toEqual(new Map([['answer', 42]]));
    expect(await gets()).toBe(before + 1);
    expect(readdirSync(env.FLOWKIT_S3_CACHE_DIR as string)).toEqual(['flowkit']);
    expect(reader.getSync('SyncFlow/missing/key')).toBeUndefined();
    writer.close();
    reader.close();
  }, 30000);

  test('a failure in the sync worker comes back as an error with its message', () => {
    const { store } = open('s3://no-such-bucket/x');
    expect(() => store.getSync('Flow/data/ab/abc')).toThrow(/s3:\/\/no-such-bucket\/x\/Flow\/data\/ab\/abc.*bucket does not exist/);
    store.close();
  }, 30000);

  test.each(['../x', 'a/../../b', '/etc/passwd', 'a\u0000b', 'a//b', 'a\\b', './a', ''])('key %j is refused', async (key) => {
    const { store } = open();
    await expect(store.put(key, Buffer.from('x'))).rejects.toThrow(PathspecError);
    expect(() => store.getSync(key)).toThrow(PathspecError);
  });

  test('check() names a missing bucket; a stopped endpoint is retried, then reported', async () => {
    await expect(open('s3://no-such-bucket/runs').store.check()).rejects.toThrow("S3 bucket 'no-such-bucket' does not exist");
    await expect(open().store.check()).resolves.toBeUndefined();
    const down = open(undefined, { FLOWKIT_S3_MAX_ATTEMPTS: '2', FLOWKIT_S3_ENDPOINT_URL: 'http://127.0.0.1:9' }).store;
    const failure = down.put('k', Buffer.from('x'));
    await expect(failure).rejects.toThrow(DataStoreError);
    await expect(failure).rejects.toThrow(/did not answer \(ECONNREFUSED\), 2 attempts/);
  });

  test('503 SlowDown is retried', async () => {
    // A short backoff base: the retries are what is tested, not the waiting.
    const { store } = open(undefined, { FLOWKIT_S3_RETRY_BASE_MS: '5' });
    const before = (await server.requests()).length;
    await server.throttle(3);
    await store.put('throttled', Buffer.from('ok'));
    expect((await server.requests()).slice(before).map((r) => r.status)).toEqual([503, 503, 503, 200]);
    expect((await store.get('throttled'))?.toString()).toBe('ok');
    store.close();
  });

  test('bad roots and endpoints are refused with the fix', () => {
    expect(() => open('s3://A_B/x')).toThrow(/is not an S3 URL/);
    expect(() => open('s3://flowkit/../x')).toThrow(PathspecError);
    expect(() => open(undefined, { FLOWKIT_S3_ENDPOINT_URL: 'localhost:9000' })).toThrow(/is not an endpoint URL/);
  });

  test('registers `s3` through the public plugin registry; no root configured is a clear error', () => {
    const registry = new PluginRegistry().use(plugin);
    const config = new Config({ FLOWKIT_DATASTORE_SYSROOT_S3: 's3://flowkit/p' });
    expect(registry.dataStore('s3').defaultRoot(config, '/x')).toBe('s3://flowkit/p');
    expect(registry.dataStore('s3').create('s3://flowkit/p/', config).root).toBe('s3://flowkit/p');
    expect(() => registry.dataStore('s3').defaultRoot(new Config({}), '/x')).toThrow('--datastore s3 needs a root');
    expect(registry.urlReader('s3').scheme).toBe('s3');
  });
});
