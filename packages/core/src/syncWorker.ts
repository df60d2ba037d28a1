import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { FlowKitError } from './errors';

/** Turns a handler's init data into the function that serves one request. */
export type SyncHandlerFactory = (init: unknown) => (request: unknown) => Promise<unknown>;

/** Handlers live on globalThis: a worker loads a bundle with its own copy of core and must find them there. */
const HANDLERS = Symbol.for('flowkit.syncHandlers');

function handlers(): Map<string, SyncHandlerFactory> {
  const globals = globalThis as Record<symbol, Map<string, SyncHandlerFactory> | undefined>;
  return (globals[HANDLERS] ??= new Map());
}

/**
 * Registers, at module load, async work that `SyncWorker` can run for a synchronous caller. The module
 * that calls this is what the worker loads, so call it at the top level of a module (not in a function).
 */
export function defineSyncHandler(name: string, factory: SyncHandlerFactory): void {
  handlers().set(name, factory);
}

/** The worker's whole program; it only needs node builtins and the module that defines the handler. */
const WORKER_SOURCE = `
const READY = 1;
const GONE = 2;
const { workerData } = require('node:worker_threads');
const { port, state, module, handler, init } = workerData;
let serve;
let startError;
try {
  require(module);
  const factory = globalThis[Symbol.for('flowkit.syncHandlers')]?.get(handler);
  if (!factory) throw new Error(module + ' defines no sync handler ' + JSON.stringify(handler));
  serve = factory(init);
} catch (error) {
  startError = error;
}
const describe = (error) => ({ name: error?.name ?? 'Error', message: error?.message ?? String(error), hint: error?.hint, code: error?.code });
port.on('message', async (request) => {
  let reply;
  try {
    if (startError) throw startError;
    const value = await serve(request);
    const transfer = value instanceof Uint8Array && value.byteOffset === 0 && value.byteLength === value.buffer.byteLength && !(value.buffer instanceof SharedArrayBuffer) ? [value.buffer] : [];
    reply = { value, transfer };
  } catch (error) {
    reply = { error: describe(error), transfer: [] };
  }
  try {
    port.postMessage({ value: reply.value, error: reply.error }, reply.transfer);
  } catch (error) {
    port.postMessage({ error: describe(error) });
  }
  Atomics.store(state, 0, READY);
  Atomics.notify(state, 0);
});
// A worker that dies wakes its blocked caller instead of leaving it waiting for a reply.
process.on('exit', () => {
  Atomics.store(state, 0, GONE);
  Atomics.notify(state, 0);
});
`;

const WAITING = 0;
const READY = 1;

/**
 * Runs async work synchronously: a worker thread serves each request while the caller blocks in
 * Atomics.wait, then takes the reply with receiveMessageOnPort. Step code reads artifacts without
 * `await`, and this is how a remote datastore answers such a read. The worker starts on first use and
 * never keeps the process alive.
 */
export class SyncWorker {
  private worker: Worker | undefined;
  private port: MessagePort | undefined;
  private readonly state = new Int32Array(new SharedArrayBuffer(4));

  constructor(
    private readonly options: {
      /** The module whose top level calls defineSyncHandler(handler, ...): usually the caller's `__filename`. */
      module: string;
      handler: string;
      /** Structured-cloneable data the handler's factory receives. */
      init: unknown;
      /** Longest a single request may take. */
      timeoutMs: number;
    },
  ) {}

  /** Serves one request in the worker and returns its result; the worker's error is rethrown here. */
  call<T>(request: unknown): T {
    const port = this.start();
    Atomics.store(this.state, 0, WAITING);
    port.postMessage(request);
    if (Atomics.wait(this.state, 0, WAITING, this.options.timeoutMs) === 'timed-out') {
      this.close();
      throw new FlowKitError(`The ${this.options.handler} worker gave no answer within ${this.options.timeoutMs / 1000} s.`);
    }
    if (Atomics.load(this.state, 0) !== READY) {
      this.close();
      throw new FlowKitError(`The ${this.options.handler} worker stopped before it answered.`, { hint: 'the worker thread crashed (out of memory?); run the step again' });
    }
    const reply = receiveMessageOnPort(port)?.message as { value?: T; error?: { name: string; message: string; hint?: string; code?: string } } | undefined;
    if (!reply) throw new FlowKitError(`The ${this.options.handler} worker signalled an answer but sent none.`);
    if (reply.error) {
      const error = new FlowKitError(reply.error.message, { hint: reply.error.hint });
      Object.defineProperty(error, 'name', { value: reply.error.name });
      throw error;
    }
    return reply.value as T;
  }

  close(): void {
    void this.worker?.terminate();
    this.port?.close();
    this.worker = undefined;
    this.port = undefined;
  }

  private start(): MessagePort {
    if (this.port) return this.port;
    const { port1, port2 } = new MessageChannel();
    const { module, handler, init } = this.options;
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      // The caller's environment as it is now (credentials for the SDK's default chain live there).
      env: process.env,
      workerData: { port: port2, state: this.state, module, handler, init },
      transferList: [port2],
    });
    // A failure reaches the caller through the state word; this listener only keeps it from crashing the process.
    this.worker.on('error', () => undefined);
    this.worker.unref();
    port1.unref();
    this.port = port1;
    return port1;
  }
}
