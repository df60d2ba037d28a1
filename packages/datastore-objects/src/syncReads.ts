import { Config, SyncWorker, defineSyncHandler } from '@flowkit/core/plugin';

/** What the sync-read worker needs to open the same store as its caller. */
export interface SyncGetInit {
  root: string;
  settings: Record<string, string>;
}

/**
 * Registers the handler that serves a store's synchronous reads in a worker thread: it opens the store
 * from the caller's root and settings, then answers `get(key)`. Call it at the top level of the plugin's
 * entry module (the module every code package loads), so a worker loading that module finds it.
 */
export function defineSyncGetHandler(name: string, open: (root: string, config: Config) => { get(key: string): Promise<Buffer | undefined> }): void {
  defineSyncHandler(name, (init) => {
    const { root, settings } = init as SyncGetInit;
    const store = open(root, new Config(settings));
    return async (key) => store.get(key as string);
  });
}

/** A synchronous read's wait may include the retries of a large download. */
const SYNC_GET_TIMEOUT_MS = 30 * 60 * 1000;

/** Blocks on a worker thread that reads through a handler defined with defineSyncGetHandler. */
export class SyncGetter {
  private worker: SyncWorker | undefined;

  constructor(
    private readonly handler: string,
    /** The module that defines the handler (index.js, or the code package bundling it). */
    private readonly module: string,
    private readonly init: SyncGetInit,
  ) {}

  get(key: string): Buffer | undefined {
    this.worker ??= new SyncWorker({ module: this.module, handler: this.handler, init: this.init, timeoutMs: SYNC_GET_TIMEOUT_MS });
    const data = this.worker.call<Uint8Array | undefined>(key);
    return data === undefined ? undefined : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  }

  close(): void {
    this.worker?.close();
  }
}
