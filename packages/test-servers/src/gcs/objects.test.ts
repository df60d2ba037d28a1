import { createHash, randomBytes } from 'node:crypto';
import { Storage } from '@google-cloud/storage';
import { GcsTestServer } from '../index';

let server: GcsTestServer;
let storage: Storage;
beforeAll(async () => {
  server = await GcsTestServer.start({ buckets: ['flowkit'] });
  // A custom apiEndpoint makes the client send no credentials; the project id is never checked.
  storage = new Storage({ projectId: 'flowkit-test', apiEndpoint: server.url });
});
afterAll(async () => {
  await server.stop();
});

async function streamed(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('GCS test server: buckets and objects through @google-cloud/storage', () => {
  test('buckets: get, exists, create, delete; a missing one is 404', async () => {
    expect((await storage.bucket('flowkit').getMetadata())[0]).toMatchObject({ name: 'flowkit', kind: 'storage#bucket' });
    expect(await storage.bucket('nope').exists()).toEqual([false]);
    await expect(storage.bucket('nope').file('k').download()).rejects.toMatchObject({ code: 404 });
    await storage.createBucket('made-here');
    expect(await storage.bucket('made-here').exists()).toEqual([true]);
    await storage.bucket('made-here').delete();
    expect(server.keys('flowkit', 'none/')).toEqual([]);
  });

  test('an object round-trips with its type, metadata, md5Hash and crc32c; both validations pass', async () => {
    const file = storage.bucket('flowkit').file('docs/hello ü.txt');
    await file.save('hello ü', { resumable: false, contentType: 'text/plain', metadata: { metadata: { origin: 'test' } } });
    const [metadata] = await file.getMetadata();
    expect(metadata).toMatchObject({ name: 'docs/hello ü.txt', contentType: 'text/plain', size: String(Buffer.byteLength('hello ü')), metadata: { origin: 'test' } });
    expect(metadata.md5Hash).toBe(createHash('md5').update('hello ü').digest('base64'));
    expect((await file.download({ validation: 'crc32c' }))[0].toString()).toBe('hello ü');
    expect((await file.download({ validation: 'md5' }))[0].toString()).toBe('hello ü');
    expect(server.read('flowkit', 'docs/hello ü.txt').toString()).toBe('hello ü');
  });

  test('metadata PATCH merges keys, null removes one, metageneration grows; ifMetagenerationMatch is checked', async () => {
    const file = storage.bucket('flowkit').file('patched');
    await file.save('x', { resumable: false, metadata: { metadata: { a: '1', b: '2' } } });
    const [patched] = await file.setMetadata({ contentType: 'application/json', metadata: { a: null, c: '3' } });
    expect(patched).toMatchObject({ contentType: 'application/json', metadata: { b: '2', c: '3' }, metageneration: '2' });
    await expect(file.setMetadata({ metadata: { d: '4' } }, { ifMetagenerationMatch: 1 })).rejects.toMatchObject({ code: 412 });
  });

  test('ranges: start-end, open end and suffix come back as 206; past the end is 416', async () => {
    const data = randomBytes(100_000);
    const file = storage.bucket('flowkit').file('ranged');
    await file.save(data, { resumable: false });
    expect((await streamed(file.createReadStream({ start: 10, end: 19 }))).equals(data.subarray(10, 20))).toBe(true);
    expect((await streamed(file.createReadStream({ start: 99_990 }))).equals(data.subarray(99_990))).toBe(true);
    expect((await streamed(file.createReadStream({ end: -5 }))).equals(data.subarray(-5))).toBe(true);
    const past = await fetch(`${server.url}/storage/v1/b/flowkit/o/ranged?alt=media`, { headers: { range: 'bytes=100000-' } });
    expect([past.status, past.headers.get('content-range')]).toEqual([416, 'bytes */100000']);
    const whole = await fetch(`${server.url}/storage/v1/b/flowkit/o/ranged?alt=media`);
    expect(whole.headers.get('x-goog-hash')).toMatch(/^crc32c=[A-Za-z0-9+/]{6}==,md5=[A-Za-z0-9+/]{22}==$/);
  });

  test('generation preconditions: 0 creates only; a stale generation is 412; a pinned old generation is gone', async () => {
    const file = storage.bucket('flowkit').file('once');
    await file.save('first', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
    await expect(file.save('second', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } })).rejects.toMatchObject({ code: 412 });
    const [{ generation }] = await file.getMetadata();
    await file.save('third', { resumable: false, preconditionOpts: { ifGenerationMatch: Number(generation) } });
    await expect(file.save('fourth', { resumable: false, preconditionOpts: { ifGenerationMatch: Number(generation) } })).rejects.toMatchObject({ code: 412 });
    expect((await file.download())[0].toString()).toBe('third');
    await expect(storage.bucket('flowkit').file('once', { generation: Number(generation) }).download()).rejects.toMatchObject({ code: 404 });
    await expect(file.delete({ ifGenerationMatch: Number(generation) })).rejects.toMatchObject({ code: 412 });
    await file.delete();
    expect(await file.exists()).toEqual([false]);
  });

  test('listing: prefix, delimiter (sub-prefixes once each), pages of maxResults through pageToken', async () => {
    const bucket = storage.bucket('flowkit');
    const names = ['tree/a', 'tree/b/1', 'tree/b/2', 'tree/c', 'tree/d/1', 'tree/e'];
    await Promise.all(names.map((name) => bucket.file(name).save(name, { resumable: false })));
    const [files, , response] = await bucket.getFiles({ prefix: 'tree/', delimiter: '/', autoPaginate: false });
    expect(files.map((f) => f.name)).toEqual(['tree/a', 'tree/c', 'tree/e']);
    expect((response as { prefixes: string[] }).prefixes).toEqual(['tree/b/', 'tree/d/']);
    const seen: string[] = [];
    let query: { pageToken?: string } | null = { pageToken: undefined };
    let pages = 0;
    while (query) {
      const [page, next, raw] = await bucket.getFiles({ prefix: 'tree/', delimiter: '/', maxResults: 2, autoPaginate: false, ...query });
      seen.push(...page.map((f) => f.name), ...((raw as { prefixes?: string[] }).prefixes ?? []));
      query = next as { pageToken?: string } | null;
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual(['tree/a', 'tree/b/', 'tree/c', 'tree/d/', 'tree/e']);
    expect((await bucket.getFiles({ prefix: 'tree/' }))[0]).toHaveLength(6);
  });

  test('V4 signed URLs (signed with the server\'s service-account key through ADC) read the object; tampered or expired ones are refused', async () => {
    await storage.bucket('flowkit').file('signed/data.bin').save(Buffer.from([1, 2, 3]), { resumable: false });
    const signer = new Storage({ projectId: 'flowkit-test', apiEndpoint: server.url, keyFilename: server.credentialsFile() });
    const file = signer.bucket('flowkit').file('signed/data.bin');
    const [url] = await file.getSignedUrl({ version: 'v4', action: 'read', expires: Date.now() + 60_000 });
    const ok = await fetch(url);
    expect([ok.status, Buffer.from(await ok.arrayBuffer())]).toEqual([200, Buffer.from([1, 2, 3])]);
    expect((await fetch(url.replace('data.bin', 'other.bin'))).status).toBe(403);
    const [stale] = await file.getSignedUrl({ version: 'v4', action: 'read', expires: Date.now() + 1000 });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect((await fetch(stale)).status).toBe(400);
    expect((await fetch(`${server.url}/flowkit/signed/data.bin`)).status).toBe(404);
  });
});
