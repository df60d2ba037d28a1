import { randomBytes } from 'node:crypto';
import { IdempotencyStrategy, Storage } from '@google-cloud/storage';
import { GcsTestServer } from '../index';

const KIB = 1024;
let server: GcsTestServer;
let storage: Storage;
beforeAll(async () => {
  server = await GcsTestServer.start({ buckets: ['flowkit'] });
  // Retries wait multiplier^n seconds plus up to 1 s of jitter: a small multiplier keeps the tests quick.
  // RetryAlways: under the default (RetryConditional) one save() without a precondition turns retries
  // off for the whole client, for good (it sets the shared retryOptions.autoRetry to false).
  storage = new Storage({ projectId: 'flowkit-test', apiEndpoint: server.url, retryOptions: { retryDelayMultiplier: 0.01, idempotencyStrategy: IdempotencyStrategy.RetryAlways } });
});
afterAll(async () => {
  await server.stop();
});

/** The requests `action` made, as `METHOD status`. */
async function requestsOf(action: () => Promise<unknown>): Promise<string[]> {
  const before = server.requests().length;
  await action();
  return server.requests().slice(before).map((r) => `${r.method} ${r.status}`);
}

describe('GCS test server: uploads through @google-cloud/storage', () => {
  test('a multipart upload (resumable: false) is one POST', async () => {
    expect(await requestsOf(() => storage.bucket('flowkit').file('multi').save('m', { resumable: false }))).toEqual(['POST 200']);
    expect(server.read('flowkit', 'multi').toString()).toBe('m');
  });

  test('a media upload (uploadType=media) stores the body as the object', async () => {
    const answer = await fetch(`${server.url}/upload/storage/v1/b/flowkit/o?uploadType=media&name=plain%2Fmedia.txt`, { method: 'POST', body: 'media', headers: { 'content-type': 'text/plain' } });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ name: 'plain/media.txt', contentType: 'text/plain', size: '5' });
  });

  test('a resumable upload in one request: session POST, then one PUT of the whole object', async () => {
    const data = randomBytes(700 * KIB);
    expect(await requestsOf(() => storage.bucket('flowkit').file('single').save(data))).toEqual(['POST 200', 'PUT 200']);
    expect(server.read('flowkit', 'single').equals(data)).toBe(true);
  });

  test('a chunked resumable upload: 308 Resume Incomplete with Range after each chunk, 200 with the resource at the end', async () => {
    const data = randomBytes(600 * KIB + 7);
    const chunked = () => storage.bucket('flowkit').file('chunked').save(data, { chunkSize: 256 * KIB });
    expect(await requestsOf(chunked)).toEqual(['POST 200', 'PUT 308', 'PUT 308', 'PUT 200']);
    expect(server.read('flowkit', 'chunked').equals(data)).toBe(true);
  });

  test('the session protocol by hand: chunk, status query `bytes */*` answers the Range, the last chunk completes', async () => {
    const [session] = await storage.bucket('flowkit').file('by-hand').createResumableUpload();
    const put = (range: string, body?: Buffer) => fetch(session, { method: 'PUT', headers: { 'content-range': range }, body });
    const first = await put('bytes 0-262143/*', Buffer.alloc(256 * KIB, 1));
    expect([first.status, first.headers.get('range')]).toEqual([308, 'bytes=0-262143']);
    const status = await put('bytes */*');
    expect([status.status, status.headers.get('range')]).toEqual([308, 'bytes=0-262143']);
    // A chunk overlapping what the server has: the overlap is skipped, as GCS does.
    const last = await put('bytes 262140-262149/262150', Buffer.alloc(10, 2));
    expect(last.status).toBe(200);
    expect(await last.json()).toMatchObject({ name: 'by-hand', size: '262150' });
    expect(server.read('flowkit', 'by-hand').subarray(262_140)).toEqual(Buffer.from([1, 1, 1, 1, 2, 2, 2, 2, 2, 2]));
    expect((await put('bytes */*')).status).toBe(200);
  });

  test('an upload cut mid-way resumes: the client asks the offset (whole 256 KiB units kept) and sends the rest', async () => {
    const data = randomBytes(3 * 1024 * KIB + 5);
    server.cutNextUpload(1024 * KIB + 1000);
    const save = () => storage.bucket('flowkit').file('cut').save(data, { chunkSize: 2048 * KIB, preconditionOpts: { ifGenerationMatch: 0 } });
    expect(await requestsOf(save)).toEqual(['POST 200', 'PUT 0', 'PUT 308', 'PUT 308', 'PUT 200']);
    expect(server.read('flowkit', 'cut').equals(data)).toBe(true);
    const [downloaded] = await storage.bucket('flowkit').file('cut').download();
    expect(downloaded.equals(data)).toBe(true);
  });

  test('429 and 503 for the next n requests are retried by the client', async () => {
    server.failNext(2, 429);
    expect(await requestsOf(() => storage.bucket('flowkit').file('throttled').save('t', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } }))).toEqual(['POST 429', 'POST 429', 'POST 200']);
    // A JSON call: the client's own retry of a streamed read crashes on Node 24 (googleapis/google-cloud-node#8670).
    server.failNext(1, 503);
    expect(await requestsOf(() => storage.bucket('flowkit').file('throttled').getMetadata())).toEqual(['GET 503', 'GET 200']);
  });

  test('refused credentials: 401 or 403 on every request until lifted; a missing bucket is 404', async () => {
    server.refuseCredentials(401);
    await expect(storage.bucket('flowkit').getMetadata()).rejects.toMatchObject({ code: 401, message: 'Invalid Credentials' });
    server.refuseCredentials(403);
    await expect(storage.bucket('flowkit').file('multi').save('x', { resumable: false })).rejects.toMatchObject({ code: 403 });
    server.refuseCredentials(undefined);
    await expect(storage.bucket('no-such-bucket').file('k').save('x', { resumable: false })).rejects.toMatchObject({ code: 404 });
    // A resumable session's errors come from gaxios: the status is on the response.
    await expect(storage.bucket('no-such-bucket').file('k').save(randomBytes(10))).rejects.toMatchObject({ response: { status: 404 } });
  });

  test('down() refuses connections until up(), on the same port with the same objects', async () => {
    await server.down();
    await expect(fetch(`${server.url}/storage/v1/b/flowkit`)).rejects.toThrow();
    await server.up();
    expect(server.read('flowkit', 'multi').toString()).toBe('m');
    expect((await storage.bucket('flowkit').file('multi').download())[0].toString()).toBe('m');
  });
});
