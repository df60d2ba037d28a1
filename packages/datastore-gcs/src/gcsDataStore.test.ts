import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Config, DataStoreError, FlowDataStore, PathspecError, PluginRegistry } from '@flowkit/core/plugin';
// The built package: its sync-read worker loads compiled JavaScript, as in a task process.
import { GcsDataStore, plugin } from '@flowkit/datastore-gcs';
import { GcsTestServer } from '@flowkit/test-servers';
import { runNode } from '../../../test/helpers/flowkit';

let server: GcsTestServer;
beforeAll(async () => {
  server = await GcsTestServer.start({ buckets: ['flowkit'] });
  // Application Default Credentials (a service-account key) for signing; FlowKit never reads them.
  process.env.GOOGLE_APPLICATION_CREDENTIALS = server.credentialsFile();
});
afterAll(async () => {
  await server.stop();
});

const settings = (extra: Record<string, string> = {}) => ({
  FLOWKIT_GCS_ENDPOINT_URL: server.url,
  FLOWKIT_GCS_CACHE_DIR: mkdtempSync(join(tmpdir(), 'flowkit-gcs-cache-')),
  // Retries wait multiplier^n s plus up to 1 s of jitter: a small multiplier keeps these tests quick.
  FLOWKIT_GCS_RETRY_MULTIPLIER: '0.01',
  ...extra,
});
const open = (root = `gs://flowkit/unit-${randomBytes(4).toString('hex')}`, extra: Record<string, string> = {}) => new GcsDataStore(root, new Config(settings(extra)), require.resolve('@flowkit/datastore-gcs'));

/** The requests `action` made, as `METHOD path status`. */
async function requestsOf(action: () => Promise<unknown>): Promise<string[]> {
  const before = server.requests().length;
  await action();
  return server.requests().slice(before).map((r) => `${r.method} ${r.path} ${r.status}`);
}

describe('GcsDataStore', () => {
  test('put/get/exists/list round-trip; missing keys read as undefined; empty objects (DONE markers) read back', async () => {
    const store = open();
    await store.put('Flow/data/ab/abc', Buffer.from('one'));
    await store.put('Flow/1/start/1/0.DONE', Buffer.alloc(0));
    await store.put('Flow/1/start/1/0.data.json', [Buffer.from('{"a"'), Buffer.from(':1}')]);
    expect((await store.get('Flow/data/ab/abc'))?.toString()).toBe('one');
    expect((await store.get('Flow/1/start/1/0.DONE'))?.length).toBe(0);
    expect((await store.get('Flow/1/start/1/0.data.json'))?.toString()).toBe('{"a":1}');
    expect([await store.exists('Flow/data/ab/abc'), await store.exists('Flow/data/ab/none')]).toEqual([true, false]);
    expect(await store.get('Flow/nothing')).toBeUndefined();
    expect(await store.list('Flow/1/start')).toEqual(['1']);
    expect((await store.list('Flow/1/start/1')).sort()).toEqual(['0.DONE', '0.data.json']);
    expect((await store.list('Flow')).sort()).toEqual(['1', 'data']);
    expect(await store.list('Flow/none')).toEqual([]);
    store.close();
  });

  test('ifAbsent is one create-only write (ifGenerationMatch=0): the first write stays', async () => {
    const store = open();
    expect(await requestsOf(() => store.put('k', Buffer.from('first'), { ifAbsent: true }))).toEqual([expect.stringMatching(/^POST .*uploadType=multipart.*ifGenerationMatch=0.* 200$/)]);
    expect(await requestsOf(() => store.put('k', Buffer.from('second'), { ifAbsent: true }))).toEqual([expect.stringMatching(/ 412$/)]);
    expect((await store.get('k'))?.toString()).toBe('first');
    await store.put('k', Buffer.from('third'));
    expect((await store.get('k'))?.toString()).toBe('third');
    store.close();
  });

  test('a large object goes up as a resumable upload in chunks and comes down in parallel ranges, checked whole', async () => {
    const store = open();
    const big = randomBytes(70 * 1024 * 1024);
    const up = await requestsOf(() => store.put('big', [big.subarray(0, 1000), big.subarray(1000)]));
    expect(up.filter((r) => r.startsWith('POST') && r.includes('uploadType=resumable'))).toHaveLength(1);
    expect(up.filter((r) => r.startsWith('PUT') && r.endsWith(' 308'))).toHaveLength(4);
    let read: Buffer | undefined;
    const down = await requestsOf(async () => (read = await store.get('big')));
    expect(read?.equals(big)).toBe(true);
    expect(down.filter((r) => r.includes('alt=media'))).toHaveLength(5);
    expect(down.filter((r) => r.includes('generation='))).toHaveLength(4);
    store.close();
  }, 120000);

  test('a resumable upload cut mid-way carries on from what the server kept; putFile streams a file', async () => {
    const store = open();
    const big = randomBytes(66 * 1024 * 1024);
    server.cutNextUpload(5 * 1024 * 1024 + 3);
    const up = await requestsOf(() => store.put('cut', big, { ifAbsent: true }));
    expect(up.filter((r) => r.endsWith(' 0'))).toHaveLength(1);
    expect((await store.get('cut'))?.equals(big)).toBe(true);
    const file = join(mkdtempSync(join(tmpdir(), 'flowkit-gcs-file-')), 'log');
    writeFileSync(file, 'line 1\nline 2\n');
    await store.putFile('Flow/1/start/1/0.stdout.log', file);
    expect((await store.get('Flow/1/start/1/0.stdout.log'))?.toString()).toBe('line 1\nline 2\n');
    store.close();
  }, 120000);

  test('429 and 503 are retried, writes and reads; a refused connection too, then reported', async () => {
    const store = open();
    server.failNext(2, 429);
    expect((await requestsOf(() => store.put('throttled', Buffer.from('ok')))).map((r) => r.split(' ').pop())).toEqual(['429', '429', '200']);
    server.failNext(2, 503);
    let read: Buffer | undefined;
    expect((await requestsOf(async () => (read = await store.get('throttled')))).map((r) => r.split(' ').pop())).toEqual(['503', '503', '206']);
    expect(read?.toString()).toBe('ok');
    const down = open(undefined, { FLOWKIT_GCS_MAX_RETRIES: '1', FLOWKIT_GCS_ENDPOINT_URL: 'http://127.0.0.1:9' });
    await expect(down.put('k', Buffer.from('x'))).rejects.toThrow(/^Cannot write gs:\/\/flowkit\/unit-\w+\/k: the GCS endpoint http:\/\/127.0.0.1:9 did not answer \(ECONNREFUSED\), 2 attempts\.$/);
    await expect(down.get('k')).rejects.toThrow(/^Cannot read gs:\/\/flowkit\/unit-\w+\/k: the GCS endpoint http:\/\/127.0.0.1:9 did not answer \(ECONNREFUSED\), 2 attempts\.$/);
    store.close();
  }, 60000);

  test('getSync in a task process: a miss goes through the worker thread, then the local cache answers', async () => {
    const writer = open();
    const ref = await new FlowDataStore(writer, 'SyncFlow').saveValue('x', new Map([['answer', 42]]));
    const env = settings();
    // Another process: a synchronous read blocks its thread, and this one serves the requests.
    const script = `
      const { Config, FlowDataStore } = require('@flowkit/core/plugin');
      const { GcsDataStore } = require('@flowkit/datastore-gcs');
      const store = new GcsDataStore(${JSON.stringify(writer.root)}, new Config(${JSON.stringify(env)}), require.resolve('@flowkit/datastore-gcs'));
      const flow = new FlowDataStore(store, 'SyncFlow');
      const ref = ${JSON.stringify(ref)};
      const first = flow.loadValueSync(ref);
      const second = flow.loadValueSync(ref);
      console.log(JSON.stringify([[...first], [...second], store.getSync('SyncFlow/missing/key') === undefined]));
      store.close();`;
    const before = server.requests().filter((r) => r.path.includes(ref.sha)).length;
    const result = await runNode(['-e', script], { cwd: __dirname });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual([[['answer', 42]], [['answer', 42]], true]);
    expect(server.requests().filter((r) => r.path.includes(ref.sha)).length - before).toBe(1);
    writer.close();
  }, 60000);

  test('a failure in the sync worker comes back as an error naming the object and the cause', async () => {
    const script = `
      const { Config } = require('@flowkit/core/plugin');
      const { GcsDataStore } = require('@flowkit/datastore-gcs');
      const store = new GcsDataStore('gs://no-such-bucket/x', new Config(${JSON.stringify(settings())}), require.resolve('@flowkit/datastore-gcs'));
      try { store.getSync('Flow/data/ab/abc'); } catch (error) { console.log(error.message); }`;
    const result = await runNode(['-e', script], { cwd: __dirname });
    expect(result.stdout.trim()).toBe('Cannot read gs://no-such-bucket/x/Flow/data/ab/abc: the bucket does not exist.');
  }, 60000);

  test.each(['../x', 'a/../../b', '/etc/passwd', 'a\u0000b', 'a//b', 'a\\b', './a', ''])('key %j is refused', async (key) => {
    const store = open();
    await expect(store.put(key, Buffer.from('x'))).rejects.toThrow(PathspecError);
    expect(() => store.getSync(key)).toThrow(PathspecError);
  });

  test('check() names a missing bucket and refused credentials, each in one line with the fix', async () => {
    await expect(open().check()).resolves.toBeUndefined();
    await expect(open('gs://no-such-bucket/runs').check()).rejects.toThrow("GCS bucket 'no-such-bucket' does not exist (datastore root gs://no-such-bucket/runs).");
    for (const status of [401, 403] as const) {
      server.refuseCredentials(status);
      const failure = open('gs://flowkit/runs').check();
      await expect(failure).rejects.toThrow(DataStoreError);
      await expect(failure).rejects.toThrow(/^Access to GCS bucket 'flowkit' was refused \(datastore root gs:\/\/flowkit\/runs\): /);
    }
    server.refuseCredentials(undefined);
  });

  test('url() signs a V4 URL with Application Default Credentials that a plain GET can read', async () => {
    const store = open();
    await store.put('Flow/_code/abc.js', Buffer.from('console.log(1)'));
    const url = await store.url('Flow/_code/abc.js', 7 * 24 * 3600);
    expect(url).toMatch(/X-Goog-Algorithm=GOOG4-RSA-SHA256.*X-Goog-Expires=604800/);
    expect(await (await fetch(url)).text()).toBe('console.log(1)');
  });

  test('bad roots and settings are refused with the fix', () => {
    expect(() => open('gs://')).toThrow('"gs://" is not a GCS URL: it names no bucket.');
    expect(() => open('gs:///runs')).toThrow('it names no bucket');
    expect(() => open('gs://A_B/x')).toThrow('"gs://A_B/x" is not a GCS URL: "A_B" is not a bucket name.');
    expect(() => open('gs://flowkit/../x')).toThrow(PathspecError);
    expect(() => open(undefined, { FLOWKIT_GCS_ENDPOINT_URL: 'localhost:4443' })).toThrow(/is not an endpoint URL/);
    expect(() => open(undefined, { FLOWKIT_GCS_MAX_RETRIES: 'many' })).toThrow('FLOWKIT_GCS_MAX_RETRIES=many is not valid.');
  });

  test('registers `gcs` and `gs://` through the public plugin registry; no root configured is a clear error', async () => {
    const registry = new PluginRegistry().use(plugin);
    const config = new Config({ ...settings(), FLOWKIT_DATASTORE_SYSROOT_GCS: 'gs://flowkit/p' });
    expect(registry.dataStore('gcs').defaultRoot(config, '/x')).toBe('gs://flowkit/p');
    expect(registry.dataStore('gcs').create('gs://flowkit/p/', config).root).toBe('gs://flowkit/p');
    expect(() => registry.dataStore('gcs').defaultRoot(new Config({}), '/x')).toThrow('--datastore gcs needs a root');
    await registry.dataStore('gcs').create('gs://flowkit/inputs', config).put('movies.csv', Buffer.from('title\n'));
    expect((await registry.urlReader('gs').read('gs://flowkit/inputs/movies.csv', config)).toString()).toBe('title\n');
    await expect(registry.urlReader('gs').read('gs://flowkit/inputs/none.csv', config)).rejects.toThrow('Object not found: gs://flowkit/inputs/none.csv.');
  });
});
