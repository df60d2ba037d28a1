import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlowKitError } from './errors';
import { SyncWorker } from './syncWorker';

/** A handler module as a plugin writes one: it registers at load, through the built core. */
const HANDLER = `
const { defineSyncHandler } = require(${JSON.stringify(join(__dirname, '..', 'dist', 'plugin'))});
defineSyncHandler('test.echo', (init) => async (request) => {
  await new Promise((resolve) => setTimeout(resolve, 20));
  if (request === 'fail') throw Object.assign(new RangeError('no such thing'), { hint: 'try another' });
  if (request === 'die') process.exit(3);
  if (request === 'bytes') return Buffer.from(init.prefix + 'bytes');
  return init.prefix + request;
});
`;

const handlerModule = () => {
  const file = join(mkdtempSync(join(tmpdir(), 'flowkit-sync-')), 'handler.js');
  writeFileSync(file, HANDLER);
  return file;
};

describe('SyncWorker', () => {
  test('runs async work synchronously, many times over one worker', () => {
    const worker = new SyncWorker({ module: handlerModule(), handler: 'test.echo', init: { prefix: '> ' }, timeoutMs: 10000 });
    expect(worker.call<string>('one')).toBe('> one');
    expect(worker.call<string>('two')).toBe('> two');
    expect(Buffer.from(worker.call<Uint8Array>('bytes')).toString()).toBe('> bytes');
    worker.close();
  });

  test("the handler's error comes back as an error with its name, message and hint", () => {
    const worker = new SyncWorker({ module: handlerModule(), handler: 'test.echo', init: { prefix: '' }, timeoutMs: 10000 });
    let caught: unknown;
    try {
      worker.call('fail');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(FlowKitError);
    expect((caught as FlowKitError).name).toBe('RangeError');
    expect((caught as FlowKitError).message).toBe('no such thing');
    expect((caught as FlowKitError).hint).toBe('try another');
    expect(worker.call<string>('after')).toBe('after');
    worker.close();
  });

  test('a worker that dies, or a module without the handler, is a clear error, not a hang', () => {
    const dying = new SyncWorker({ module: handlerModule(), handler: 'test.echo', init: {}, timeoutMs: 10000 });
    expect(() => dying.call('die')).toThrow('The test.echo worker stopped before it answered.');
    const unknown = new SyncWorker({ module: handlerModule(), handler: 'test.other', init: {}, timeoutMs: 10000 });
    expect(() => unknown.call('x')).toThrow(/handler\.js defines no sync handler "test\.other"/);
  });
});
