import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GcsError, sendError } from './http';
import { GcsRoutes } from './routes';
import { UrlSigner } from './signing';
import { GcsStore } from './store';
import { GcsUploads } from './uploads';

export interface GcsTestServerOptions {
  /** Buckets that exist from the start. Default: `['flowkit']`. */
  buckets?: string[];
}

/** One request as the server saw it; `status` 0 for a connection it cut. */
export interface GcsRequest {
  method: string;
  /** Path and query, as sent. */
  path: string;
  status: number;
}

/**
 * Google Cloud Storage's JSON API on 127.0.0.1, for the real `@google-cloud/storage` client through its
 * `apiEndpoint` option: buckets, objects with generations and preconditions, media/multipart/resumable
 * uploads, ranged downloads with crc32c and md5, listing, V4 signed URLs, and faults on demand. Objects
 * live in a temporary directory. Any credentials are accepted (the client sends none to a custom endpoint).
 */
export class GcsTestServer {
  readonly url: string;
  private readonly seen: GcsRequest[] = [];
  private readonly sockets = new Set<Socket>();
  private failures: { count: number; status: 429 | 503 } = { count: 0, status: 503 };
  private cutAfter: number | undefined;
  private refusal: 401 | 403 | undefined;

  private constructor(
    private server: Server,
    private readonly port: number,
    private readonly dir: string,
    private readonly store: GcsStore,
    private readonly signer: UrlSigner,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  static async start(options: GcsTestServerOptions = {}): Promise<GcsTestServer> {
    const dir = mkdtempSync(join(tmpdir(), 'flowkit-gcs-server-'));
    const store = new GcsStore(dir);
    for (const bucket of options.buckets ?? ['flowkit']) store.createBucket(bucket);
    const server = createServer();
    const port = await listen(server, 0);
    const self = new GcsTestServer(server, port, dir, store, new UrlSigner());
    self.serve(server);
    return self;
  }

  /**
   * What a FlowKit process needs to use this server: its endpoint, and Application Default Credentials
   * (a service-account key file) that sign URLs the server verifies. Requests themselves carry no credentials.
   */
  env(): Record<string, string> {
    return { FLOWKIT_GCS_ENDPOINT_URL: this.url, GOOGLE_APPLICATION_CREDENTIALS: this.credentialsFile(), GOOGLE_CLOUD_PROJECT: 'flowkit-test' };
  }

  /** The service-account key file whose signatures this server accepts. */
  credentialsFile(): string {
    const file = join(this.dir, 'service-account.json');
    writeFileSync(file, JSON.stringify(this.signer.credentials()));
    return file;
  }

  createBucket(name: string): void {
    this.store.createBucket(name);
  }

  /** Removes a bucket and everything in it. */
  deleteBucket(name: string): void {
    this.store.deleteBucket(name);
  }

  /** Names under a prefix, in listing order. */
  keys(bucket: string, prefix = ''): string[] {
    return this.store.names(bucket, prefix);
  }

  /** An object's bytes, read straight from the store (no request). */
  read(bucket: string, name: string): Buffer {
    return readFileSync(this.store.object(bucket, name).file);
  }

  /** The next `count` requests get this status (429 rateLimitExceeded or 503 backendError), which the client retries. */
  failNext(count: number, status: 429 | 503 = 503): void {
    this.failures = { count, status };
  }

  /**
   * The next resumable upload request with a body has its connection dropped after `bytes` body bytes;
   * the session keeps what arrived, down to a whole 256 KiB, as GCS persists.
   */
  cutNextUpload(bytes: number): void {
    this.cutAfter = bytes;
  }

  /** Every request answered 401 (credentials not accepted) or 403 (no permission) until called with undefined. */
  refuseCredentials(status: 401 | 403 | undefined): void {
    this.refusal = status;
  }

  /** Every request so far, oldest first. */
  requests(): GcsRequest[] {
    return [...this.seen];
  }

  /** Stops listening and drops every connection; objects stay, for up(). */
  async down(): Promise<void> {
    const closed = new Promise((resolve) => this.server.close(resolve));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  /** Listens again on the same port after down(). */
  async up(): Promise<void> {
    this.server = createServer();
    await listen(this.server, this.port);
    this.serve(this.server);
  }

  async stop(): Promise<void> {
    if (this.server.listening) await this.down();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private serve(server: Server): void {
    const routes = new GcsRoutes(this.store, new GcsUploads(this.store, this.url), this.signer, this.url);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res, routes));
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse, routes: GcsRoutes): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const entry: GcsRequest = { method: req.method ?? 'GET', path: url.pathname + url.search, status: 0 };
    this.seen.push(entry);
    res.on('finish', () => (entry.status = res.statusCode));
    try {
      const fault = this.fault();
      if (fault) {
        req.resume();
        throw fault;
      }
      await routes.handle(req, res, url, () => this.takeCut());
    } catch (error) {
      // A request that broke off mid-body has no one left to answer.
      if (res.headersSent || !req.socket || req.socket.destroyed) res.destroy();
      else sendError(res, error instanceof GcsError ? error : new GcsError(500, 'backendError', String(error)));
    }
  }

  private fault(): GcsError | undefined {
    if (this.refusal === 401) return new GcsError(401, 'authError', 'Invalid Credentials');
    if (this.refusal === 403) return new GcsError(403, 'forbidden', 'The caller does not have storage.objects.get access to the Google Cloud Storage object.');
    if (this.failures.count === 0) return undefined;
    this.failures.count--;
    return this.failures.status === 429 ? new GcsError(429, 'rateLimitExceeded', 'The rate of change requests to the object exceeds the rate limit.') : new GcsError(503, 'backendError', 'Backend Error');
  }

  private takeCut(): number | undefined {
    const cut = this.cutAfter;
    this.cutAfter = undefined;
    return cut;
  }
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}
